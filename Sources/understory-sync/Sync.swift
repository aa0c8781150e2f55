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
            """
    )

    @OptionGroup var global: GlobalOptions

    @OptionGroup var sync: SyncArguments

    func run() async throws {
        let logger = global.makeLogger()
        SecondSignal.install()
        ProgressLine.shared.start(enabled: !global.quiet)
        do {
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
            if let error = summary.firstError { throw ExitStatus.fail(error) }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            throw ExitStatus.fail(error)
        }
    }
}
