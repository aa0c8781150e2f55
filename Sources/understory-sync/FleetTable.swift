import Foundation
import SyncEngine

/// The fleet lines of `status`: a summary, then each account's lease, next due time, last success and failures.
enum FleetTable {
    static func render(_ fleet: FleetStatus, now: Date = Date()) -> [String] {
        var lines = TextTable.wrap(
            "fleet: \(fleet.due) due, \(fleet.overdue) overdue (> 2× interval), \(fleet.leased) leased, \(fleet.failing) failing, \(fleet.accounts.count) accounts"
        )
        var rows = [["company", "lease owner", "next due", "last success", "failures", "last failure"]]
        for account in fleet.accounts {
            let next = account.status == "active" ? Status.time(account.nextSyncAt) + (account.nextSyncAt <= now ? " (due)" : "") : account.status
            rows.append([
                account.companyID, account.leaseOwner ?? "-", next, account.lastSuccessAt.map(Status.time) ?? "never",
                "\(account.consecutiveFailures)", account.consecutiveFailures > 0 ? account.lastFailure ?? "" : "",
            ])
        }
        lines += TextTable.render(rows, rightAligned: [4], width: TextTable.columns - 2).map { "  " + $0 }
        return lines
    }
}
