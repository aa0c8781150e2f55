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

    @Option(name: .customLong("resource"), help: "orders, bookings, events or experiences; repeat for several (default all).")
    var resources: [Resource] = []

    @Flag(help: "Walk everything instead of stopping at the watermark, and refetch every order's children.")
    var full = false

    @Flag(name: .customLong("dry-run"), help: "Fetch and stage, report what would change, then roll back. Moves nothing.")
    var dryRun = false

    @Option(help: "Seconds behind the watermark that an incremental run still reads (default 600).")
    var lookback: Int = 600

    @Option(name: .customLong("events-past-days"), help: "Event window: days before today (default 30).")
    var eventsPastDays: Int = 30

    @Option(name: .customLong("events-future-days"), help: "Event window: days after today (default 365).")
    var eventsFutureDays: Int = 365

    @Option(name: .customLong("child-concurrency"), help: "Orders whose children are fetched at once (default 8).")
    var childConcurrency: Int = 8

    @Option(name: .customLong("batch-rows"), help: "Rows loaded per transaction; several pages are batched (default 1000).")
    var batchRows: Int = 1000

    func validate() throws {
        guard batchRows >= 1 else { throw ValidationError("--batch-rows must be at least 1") }
        guard lookback >= 0 else { throw ValidationError("--lookback must be zero or more seconds") }
        guard eventsPastDays >= 0, eventsFutureDays >= 0 else { throw ValidationError("event window days must be zero or more") }
        guard childConcurrency >= 1 else { throw ValidationError("--child-concurrency must be at least 1") }
    }

    var options: SyncOptions {
        var options = SyncOptions()
        options.resources = resources.isEmpty ? Resource.allCases : resources
        options.full = full
        options.dryRun = dryRun
        options.lookback = .seconds(lookback)
        options.eventsPastDays = eventsPastDays
        options.eventsFutureDays = eventsFutureDays
        options.childConcurrency = childConcurrency
        options.batchRows = batchRows
        return options
    }

    var arguments: [String: String] {
        [
            "resources": options.resources.map(\.rawValue).joined(separator: ","), "full": "\(full)",
            "lookback_seconds": "\(lookback)", "events_past_days": "\(eventsPastDays)", "events_future_days": "\(eventsFutureDays)",
        ]
    }

    func run() async throws {
        let logger = global.makeLogger()
        ProgressLine.shared.start(enabled: !global.quiet)
        do {
            let api = try global.apiConfiguration()
            let summary = try await withAPIClient(api, logger: logger) { client in
                try await SyncRunner(database: global.database, client: client, logger: logger, progress: ProgressLine.shared)
                    .sync(options, arguments: arguments)
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

extension Resource: ExpressibleByArgument {}
