import ArgumentParser
import SyncEngine

/// Which connected accounts (third-party mode) a command acts on: shared by `sync`, `schedule` and `check`.
/// With neither option the command runs in internal-key mode (one account, `client_credentials`).
struct AccountSelection: ParsableArguments {
    @Option(name: .customLong("account"), help: "Company id of a connected account (third-party mode); repeat for several.")
    var accounts: [String] = []

    @Flag(name: .customLong("all-accounts"), help: "Every connected account (third-party mode).")
    var allAccounts = false

    @Option(help: "Accounts synced at once with --all-accounts or several --account (default 2).")
    var concurrency: Int = 2

    func validate() throws {
        guard accounts.isEmpty || !allAccounts else { throw ValidationError("give --account or --all-accounts, not both") }
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
    }

    /// nil in internal-key mode.
    var selection: AccountSync.Selection? {
        if allAccounts { return .all }
        return accounts.isEmpty ? nil : .accounts(accounts)
    }

    /// The internal key's company, or the selected accounts.
    var scope: SyncScope {
        selection.map { .accounts($0, concurrency: concurrency) } ?? .internalKey
    }
}
