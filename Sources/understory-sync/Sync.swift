import ArgumentParser
import Foundation
import SyncEngine

struct Sync: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Incremental sync of the chosen resources (default: all).",
        discussion: """
            Bookings and orders are read newest-first and stop at the last committed watermark minus --lookback;
            events are read in a rolling window of start dates; experiences are read whole. Order line items,
            refunds and transactions are fetched for orders that changed. Each batch commits with its sync position,
            so a crash loses nothing and the next run continues.

            Internal-key mode (default): the integration key's own company. Third-party mode (--account ID or
            --all-accounts): each connected account (see `accounts connect`) with its stored refresh token, up to
            --concurrency at once; one account's failure does not stop the others, but the exit status is non-zero.
            """
    )

    @OptionGroup var global: GlobalOptions

    @OptionGroup var sync: SyncArguments

    @OptionGroup var accounts: AccountSelection

    @Flag(help: "With --all-accounts: one pass over the accounts that are due, each claimed with a lease, so that several processes started at once split them (CronJob, Indexed Job); see `worker`.")
    var claim = false

    @OptionGroup var fleet: FleetArguments

    func validate() throws {
        guard !claim || accounts.allAccounts else { throw ValidationError("--claim needs --all-accounts") }
    }

    func run() async throws {
        let logger = global.makeLogger()
        SecondSignal.install()
        ProgressLine.shared.start(enabled: !global.quiet)
        if claim {
            let pass = try await AccountRuns.claimPass(
                concurrency: accounts.concurrency, policy: fleet.policy, global: global, options: sync.options,
                arguments: sync.arguments.merging(["claim": "true", "every": fleet.every]) { $1 }, logger: logger
            )
            ProgressLine.shared.clear()
            if !global.quiet { print(AccountRuns.render(pass)) }
            if let error = AccountRuns.failure(pass) { throw error }
            return
        }
        if let selection = accounts.selection {
            let outcomes = try await AccountRuns.sync(
                selection, concurrency: accounts.concurrency, global: global, options: sync.options,
                arguments: sync.arguments, logger: logger
            )
            ProgressLine.shared.clear()
            if !global.quiet { print(AccountRuns.render(outcomes)) }
            if let error = outcomes.lazy.compactMap(\.failure).first { throw error }
            return
        }
        let api = try global.apiConfiguration()
        let database = global.database, options = sync.options, arguments = sync.arguments
        let summary = try await withAPIClient(api, logger: logger) { client in
            try await GracefulRun.run(logger: logger) {
                try await SyncRunner(database: database, client: client, logger: logger, progress: ProgressLine.shared)
                    .sync(options, arguments: arguments)
            }
        }
        ProgressLine.shared.clear()
        if !global.quiet { print(RunSummaryTable.render(summary)) }
        if let error = summary.firstError { throw error }
    }
}
