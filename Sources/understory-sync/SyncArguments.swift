import ArgumentParser
import SyncEngine

/// What to sync and how: shared by `sync` and `schedule`.
struct SyncArguments: ParsableArguments {
    @Option(name: .customLong("resource"), help: "A resource to sync; repeat for several (default all).")
    var resources: [Resource] = []

    @Option(name: .customLong("skip-resource"), help: ArgumentHelp(SkipName.help))
    var skipped: [SkipName] = []

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
        options.resources = (resources.isEmpty ? Resource.allCases : resources).filter { resource in
            !skipped.contains { $0.name == resource.rawValue }
        }
        options.namedResources = Set(resources)
        options.full = full
        options.dryRun = dryRun
        options.lookback = .seconds(lookback)
        options.eventsPastDays = eventsPastDays
        options.eventsFutureDays = eventsFutureDays
        options.childConcurrency = childConcurrency
        options.batchRows = batchRows
        options.skipped = Set(skipped.map(\.name))
        return options
    }

    /// Recorded in `sync_runs.arguments` (never secrets).
    var arguments: [String: String] {
        [
            "resources": options.resources.map(\.rawValue).joined(separator: ","), "full": "\(full)",
            "lookback_seconds": "\(lookback)", "events_past_days": "\(eventsPastDays)", "events_future_days": "\(eventsFutureDays)",
            "skipped": skipped.map(\.name).joined(separator: ","),
        ]
    }
}

extension Resource: ExpressibleByArgument {}

/// A `--skip-resource` value: a resource (any `--resource` value), or rows a resource reads per
/// item (``ChildPart``); both lists come from the resource catalog, so ArgumentParser lists and
/// checks the values and a new part needs no edit here.
struct SkipName: ExpressibleByArgument, Hashable {
    let name: String

    init?(argument: String) {
        guard Self.allValueStrings.contains(argument) else { return nil }
        name = argument
    }

    static var allValueStrings: [String] { Resource.allCases.map(\.rawValue) + ChildPart.all.map(\.name) }

    static var help: String {
        let parts = ChildPart.all.map { "\($0.name): \($0.help)" }.joined(separator: "; ")
        return "A resource to leave out (any --resource value), or what a resource reads per item: \(parts). Repeat for several."
    }
}
