import Foundation
import SyncEngine

/// How `sync`, `reconcile` and `schedule` print the outcomes of third-party mode (one line per account).
enum AccountRuns {
    /// Each account's run table, then one line per account ("accounts: 2 of 3 synced").
    static func render(
        _ outcomes: [AccountSync.Outcome], done verb: String = "synced",
        summary: (SyncRunner.Summary) -> String = RunSummaryTable.render
    ) -> String {
        var blocks = outcomes.compactMap { $0.summary.map(summary) }
        let failed = outcomes.filter { !$0.succeeded }
        var lines = ["accounts: \(outcomes.count - failed.count) of \(outcomes.count) \(verb)"]
        for outcome in outcomes {
            let name = outcome.account.companyName.map { " (\($0))" } ?? ""
            if let error = outcome.failure {
                lines.append("  FAIL \(outcome.account.companyID)\(name): \(ExitStatus.oneLine(error))")
            } else {
                lines.append("  ok   \(outcome.account.companyID)\(name)")
            }
        }
        blocks.append(lines.joined(separator: "\n"))
        return blocks.joined(separator: "\n\n")
    }
}
