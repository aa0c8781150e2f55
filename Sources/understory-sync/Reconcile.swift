import ArgumentParser
import Foundation
import SyncEngine

struct Reconcile: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Audit the tables against the API and repair what drifted (default: all resources).",
        discussion: """
            Walks every booking and order (no watermark cutoff), the events window and every experience, and compares \
            them with the tables: rows the table lacks (missing) or holds with other content (stale) are written, the \
            API's version winning. Rows the API no longer lists are asked for by id; only a 404 marks them with \
            _deleted_at (their child rows are removed). The line items, refunds and transactions of orders and the \
            tickets of bookings created in the last --children-days, and the ticket variants of every experience, are \
            fetched again and replaced where they differ. What it found is recorded in \
            sync_runs (command reconcile) and shown by `status`. It takes the same locks as `sync`, so it never runs \
            at the same time as a sync of the same resource. Run it nightly or weekly (see `schedule --reconcile-cron`).
            """
    )

    @OptionGroup var global: GlobalOptions

    @OptionGroup var reconcile: ReconcileArguments

    @OptionGroup var accounts: AccountSelection

    func run() async throws {
        let logger = global.makeLogger()
        SecondSignal.install()
        ProgressLine.shared.start(enabled: !global.quiet)
        let outcome = try await global.syncJob(logger: logger)
            .run(.reconcile, accounts.scope, options: reconcile.options, arguments: reconcile.arguments)
        ProgressLine.shared.clear()
        if !global.quiet {
            switch outcome {
            case .company(let summary): print(Self.render(summary))
            case .accounts(let outcomes): print(Self.render(outcomes))
            }
        }
        if let error = RunFailures.decisive(outcome) { throw error }
    }

    /// What a reconcile found per resource, and how it ended.
    static func render(_ summary: SyncRunner.Summary) -> String {
        let seconds = Double(summary.duration.components.seconds) + Double(summary.duration.components.attoseconds) / 1e18
        let verdict = summary.dryRun ? "dry run (nothing changed)" : (summary.succeeded ? "succeeded" : "failed")
        let run = summary.runID.map { "reconcile run \($0)" } ?? "reconcile"
        var lines = TextTable.wrap("\(run) \(verdict) in \(RunSummaryTable.format(seconds)) s for company \(summary.companyID)")
        var rows = [["resource", "missing", "stale", "deleted", "children fixed", "pages"]]
        for resource in Resource.allCases {
            if let counts = summary.counts[resource] {
                rows.append([
                    resource.rawValue, "\(counts.missing ?? 0)", "\(counts.stale ?? 0)", "\(counts.deleted)",
                    counts.childrenFixed.map(String.init) ?? "-", "\(counts.pages)",
                ])
            }
        }
        if rows.count > 1 { lines += TextTable.render(rows, rightAligned: [1, 2, 3, 4, 5]) }
        lines += RunSummaryTable.notices(summary)
        let http = summary.http
        lines.append("http: \(http.requests) requests, \(http.retries) retries, \(http.rateLimited) rate-limited (429)")
        return lines.joined(separator: "\n")
    }

    static func render(_ outcomes: [AccountSync.Outcome]) -> String {
        AccountRuns.render(outcomes, done: "reconciled", summary: render)
    }
}

/// What to reconcile and how: shared by `reconcile` and `schedule --reconcile-cron`.
struct ReconcileArguments: ParsableArguments {
    @Option(name: .customLong("resource"), help: "A resource to reconcile; repeat for several (default all).")
    var resources: [Resource] = []

    @Option(name: .customLong("children-days"), help: "Re-fetch and compare the children of orders and the tickets of bookings created in the last N days (default 90).")
    var childrenDays: Int = 90

    @Flag(name: .customLong("dry-run"), help: "Report what drifted and change nothing.")
    var dryRun = false

    @Option(name: .customLong("events-past-days"), help: "Event window: days before today (default 30).")
    var eventsPastDays: Int = 30

    @Option(name: .customLong("events-future-days"), help: "Event window: days after today (default 365).")
    var eventsFutureDays: Int = 365

    func validate() throws {
        guard childrenDays >= 0 else { throw ValidationError("--children-days must be zero or more") }
        guard eventsPastDays >= 0, eventsFutureDays >= 0 else { throw ValidationError("event window days must be zero or more") }
    }

    var options: SyncOptions {
        var options = SyncOptions()
        options.resources = resources.isEmpty ? Resource.allCases : resources
        options.namedResources = Set(resources)
        options.dryRun = dryRun
        options.childrenDays = childrenDays
        options.eventsPastDays = eventsPastDays
        options.eventsFutureDays = eventsFutureDays
        return options
    }

    /// Recorded in `sync_runs.arguments`.
    var arguments: [String: String] {
        [
            "resources": options.resources.map(\.rawValue).joined(separator: ","), "children_days": "\(childrenDays)",
            "events_past_days": "\(eventsPastDays)", "events_future_days": "\(eventsFutureDays)",
        ]
    }
}
