import Foundation
import SyncEngine

/// How `sync`, `reconcile` and `schedule` print the outcomes of third-party mode (one line per account).
enum AccountRuns {
    /// Each account's run table, one line per account ("accounts: 2 of 3 synced"), then the
    /// failures by class, most fundamental first (the first decides the exit status).
    static func render(
        _ outcomes: [AccountSync.Outcome], done verb: String = "synced",
        summary: (SyncRunner.Summary) -> String = RunSummaryTable.render
    ) -> String {
        var blocks = outcomes.compactMap { $0.summary.map(summary) }
        var lines = accountLines(outcomes, done: verb)
        if let failures = RunFailures(outcomes.flatMap(\.failures), noun: "account") { lines += "\n" + closingLines(failures) }
        blocks.append(lines)
        return blocks.joined(separator: "\n\n")
    }

    /// "accounts: 2 of 3 synced", then `ok`/`FAIL` per account with its one-line reason.
    static func accountLines(_ outcomes: [AccountSync.Outcome], done verb: String = "synced") -> String {
        let failed = outcomes.filter { !$0.succeeded }
        var lines = ["accounts: \(outcomes.count - failed.count) of \(outcomes.count) \(verb)"]
        for outcome in outcomes {
            let name = outcome.account.companyName.map { " (\($0))" } ?? ""
            if let error = RunFailures.first(outcome.failures) {
                lines.append("  FAIL \(outcome.account.companyID)\(name): \(ExitStatus.oneLine(error))")
            } else {
                lines.append("  ok   \(outcome.account.companyID)\(name)")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// "failures, most fundamental first (the first decides the exit status):" and one line per class.
    static func closingLines(_ failures: RunFailures) -> String {
        (["failures, most fundamental first (the first decides the exit status):"] + failures.lines(reasons: false).map { "  " + $0 }).joined(separator: "\n")
    }
}
