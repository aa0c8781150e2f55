import Foundation
import SyncEngine

/// How `sync --all-accounts --claim` prints its fleet pass.
extension AccountRuns {
    /// Each synced account's table and line, the accounts skipped because they must be connected again, then the failures by class.
    static func render(_ pass: FleetWorker.Pass) -> String {
        var text = pass.outcomes.isEmpty ? "accounts: none due" : accountLines(pass.outcomes.sorted { $0.account.companyID < $1.account.companyID })
        for id in pass.lostLeases {
            text += "\n  LOST \(id): the lease expired and another worker took the account; its outcome was not recorded"
        }
        for account in pass.needsReconnect {
            text += "\n  SKIP \(account.companyID)\(account.companyName.map { " (\($0))" } ?? ""): needs to be connected again (run `understory-sync accounts connect`)"
        }
        if let failures = RunFailures(pass.failures, noun: "account") { text += "\n" + closingLines(failures) }
        return text
    }
}
