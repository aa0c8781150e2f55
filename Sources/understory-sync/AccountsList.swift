import ArgumentParser
import Foundation
import SyncEngine

struct AccountsList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List connected accounts and their state (never their tokens)."
    )

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print JSON for machines.")
    var json = false

    func run() async throws {
        let logger = global.makeLogger()
        let accounts = try await AccountStore.list(database: global.database, logger: logger)
        if json {
            try JSONOutput.print(accounts)
        } else if accounts.isEmpty {
            print("no accounts connected: run `understory-sync accounts connect`")
        } else {
            print(Self.table(accounts).joined(separator: "\n"))
        }
    }

    /// One line per account, or one block per account when that is wider than `width` (shared with `status`).
    static func table(_ accounts: [Account], width: Int = TextTable.columns) -> [String] {
        var rows = [["company", "name", "status", "scopes", "connected", "token rotated", "reason"]]
        for account in accounts {
            rows.append([
                account.companyID, account.companyName ?? "", account.status.rawValue, account.scopes.joined(separator: " "),
                Status.time(account.connectedAt), account.refreshTokenRotatedAt.map(Status.time) ?? "-",
                account.status == .active ? "" : account.statusReason ?? "",
            ])
        }
        return TextTable.render(rows, width: width)
    }
}
