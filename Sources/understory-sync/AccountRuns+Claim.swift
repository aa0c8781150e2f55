import Foundation
import SyncEngine

/// How `sync --all-accounts --claim` prints its fleet pass and which error decides its exit status.
extension AccountRuns {
    /// Each synced account's table and line, then the accounts skipped because they must be connected again.
    static func render(_ pass: FleetWorker.Pass) -> String {
        var text = pass.outcomes.isEmpty ? "accounts: none due" : render(pass.outcomes.sorted { $0.account.companyID < $1.account.companyID })
        for id in pass.lostLeases {
            text += "\n  LOST \(id): the lease expired and another worker took the account; its outcome was not recorded"
        }
        for account in pass.needsReconnect {
            text += "\n  SKIP \(account.companyID)\(account.companyName.map { " (\($0))" } ?? ""): needs to be connected again (run `understory-sync accounts connect`)"
        }
        return text
    }

    /// The error deciding the exit status: a failed account, else an account waiting for reconnection.
    static func failure(_ pass: FleetWorker.Pass) -> (any Error)? {
        if let error = pass.outcomes.lazy.compactMap(\.failure).first { return error }
        guard let account = pass.needsReconnect.first else { return nil }
        return SyncError(
            .accountNotActive,
            "\(pass.needsReconnect.count) account(s) need to be connected again and were skipped, e.g. \(account.companyID): run `understory-sync accounts connect`"
        )
    }
}
