import ArgumentParser
import Foundation
import SyncEngine

struct Sync: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Incremental sync of the chosen resources (default: all).",
        discussion: """
            Bookings and orders are read newest-first and stop at the last committed watermark minus --lookback; \
            events are read in a rolling window of start dates; experiences are read whole. Order line items, \
            refunds and transactions are fetched for orders that changed. Each batch commits with its sync position, \
            so a crash loses nothing and the next run continues.

            Internal-key mode (default): the integration key's own company. Third-party mode (--account ID or \
            --all-accounts): each connected account (see `accounts connect`) with its stored refresh token, up to \
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
        let job = try global.syncJob(logger: logger)
        if claim {
            let pass = try await job.claimPass(
                concurrency: accounts.concurrency, policy: fleet.policy, options: sync.options,
                arguments: sync.arguments.merging(["claim": "true", "every": fleet.every]) { $1 }
            )
            ProgressLine.shared.clear()
            if !global.quiet { print(AccountRuns.render(pass)) }
            if let error = RunFailures.decisive(pass.failures, noun: "account") { throw error }
            return
        }
        let outcome = try await job.run(.sync, accounts.scope, options: sync.options, arguments: sync.arguments)
        ProgressLine.shared.clear()
        if !global.quiet {
            switch outcome {
            case .company(let summary): print(RunSummaryTable.render(summary))
            case .accounts(let outcomes): print(AccountRuns.render(outcomes))
            }
        }
        if let error = RunFailures.decisive(outcome) { throw error }
    }
}
