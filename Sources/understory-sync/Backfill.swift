import ArgumentParser
import Foundation
import SyncEngine
import UnderstoryAPI

struct Backfill: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Reload a time window of one resource, for repairs and first loads.",
        // The generated usage line is 85 columns; ArgumentParser does not wrap it.
        usage: """
            understory-sync backfill --resource <resource> --from <from> --to <to>
            [<options>]
            """,
        discussion: """
            Bookings and orders: --from/--to filter creation time. Events: local start time. The window is cut into \
            day-long slices fetched --concurrency at a time; finished slices are recorded, so running the same \
            backfill again resumes where it stopped (--force reloads them all). Adjacent bookings/orders slices \
            overlap by one second, because the API does not document whether from/to include their instant. \
            The nightly watermark is never moved. \
            Times: 2025-01-31, 2025-01-31T12:00:00Z or any RFC 3339 instant.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("resource"), help: "A resource whose list has a time filter.")
    var backfilled: BackfilledResource

    var resource: Resource { backfilled.resource }

    @Option(help: "Start of the window (inclusive).", transform: Backfill.parseTime)
    var from: Timestamp

    @Option(help: "End of the window (exclusive).", transform: Backfill.parseTime)
    var to: Timestamp

    @Option(help: "Slices fetched at once (default 4).")
    var concurrency: Int = 4

    @Flag(help: "Reload every slice of the window, also those an earlier backfill already finished.")
    var force = false

    @Option(help: "Company id of a connected account to backfill (third-party mode; default: the integration key's company).")
    var account: String?

    func validate() throws {
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
        guard resource.hasTimeFilter else {
            throw ValidationError("\(resource) have no time filter: use `sync --resource \(resource)`, which always reads them all")
        }
        guard from < to else { throw ValidationError("--from must be before --to") }
    }

    static func parseTime(_ text: String) throws -> Timestamp {
        if let timestamp = Timestamp(rfc3339: text) { return timestamp }
        if let day = LocalDateTime(text + "T00:00:00"), text.count == 10 {
            return Timestamp(rfc3339: day.queryString + "Z")!
        }
        throw ValidationError("\"\(text)\" is not a time: use 2025-01-31 or 2025-01-31T12:00:00Z")
    }

    func run() async throws {
        let logger = global.makeLogger()
        SecondSignal.install()
        ProgressLine.shared.start(enabled: !global.quiet)
        let api = try global.apiConfiguration()
        let window = try BackfillWindow(from: from, to: to)
        let arguments = [
            "resource": resource.rawValue, "from": from.rfc3339, "to": to.rfc3339, "concurrency": "\(concurrency)", "force": "\(force)",
        ]
        let database = global.database, resource = self.resource, concurrency = self.concurrency, force = self.force
        let backfill: @Sendable (SyncRunner) async throws -> SyncRunner.BackfillSummary = { runner in
            try await GracefulRun.run(logger: logger) {
                try await runner.backfill(resource: resource, window: window, concurrency: concurrency, force: force, arguments: arguments)
            }
        }
        let summary: SyncRunner.BackfillSummary
        if let account {
            summary = try await global.syncJob(logger: logger).withAccounts { accounts in
                var runner = SyncRunner(
                    database: database, client: try await accounts.activeClient(for: account), logger: logger, progress: ProgressLine.shared
                )
                runner.expectedCompanyID = account
                return try await backfill(runner)
            }
        } else {
            summary = try await UnderstoryClient.withClient(api, logger: logger) { client in
                try await backfill(SyncRunner(database: database, client: client, logger: logger, progress: ProgressLine.shared))
            }
        }
        ProgressLine.shared.clear()
        if !global.quiet {
            print(RunSummaryTable.render(summary.run))
            print("slices: \(summary.slicesDone) loaded now, \(summary.slicesSkipped) already done earlier")
        }
        if let error = RunFailures.decisive(summary.run.runFailures, noun: "resource") { throw error }
    }
}

/// What `backfill --resource` takes: any resource parses (one without a time filter is refused by
/// `validate` with what to run instead), and the help offers those with a time filter.
struct BackfilledResource: ExpressibleByArgument {
    let resource: Resource

    init?(argument: String) {
        guard let resource = Resource(rawValue: argument) else { return nil }
        self.resource = resource
    }

    static var allValueStrings: [String] { Resource.allCases.filter(\.hasTimeFilter).map(\.rawValue) }
    var defaultValueDescription: String { resource.rawValue }
}
