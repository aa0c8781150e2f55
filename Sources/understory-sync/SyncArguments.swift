import ArgumentParser
import SyncEngine

/// What to sync and how: shared by `sync` and `schedule`.
struct SyncArguments: ParsableArguments {
    @Option(name: .customLong("resource"), help: "A resource to sync; repeat for several (default all).")
    var resources: [Resource] = []

    @Option(name: .customLong("skip-resource"), help: "tickets: leave booking tickets out (by default each new or changed booking costs one more request); ticket-variants: leave experiences' ticket variants out (one request per new or changed experience); marketing-consents: leave marketing consents out (read only when the key has marketing.read; otherwise skipped with a notice); availability: leave event availability out (one request per experience each run); information-requests: leave experiences' checkout questions out (one request per new or changed experience); information-answers: leave customers' checkout answers out (personal data; one request per new or changed booking).")
    var skipped: [SkippableResource] = []

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
            !skipped.contains { $0.resource == resource }
        }
        options.namedResources = Set(resources)
        options.full = full
        options.dryRun = dryRun
        options.lookback = .seconds(lookback)
        options.eventsPastDays = eventsPastDays
        options.eventsFutureDays = eventsFutureDays
        options.childConcurrency = childConcurrency
        options.batchRows = batchRows
        options.tickets = !skipped.contains(.tickets)
        options.ticketVariants = !skipped.contains(.ticketVariants)
        options.informationRequests = !skipped.contains(.informationRequests)
        options.informationAnswers = !skipped.contains(.informationAnswers)
        return options
    }

    /// Recorded in `sync_runs.arguments` (never secrets).
    var arguments: [String: String] {
        [
            "resources": options.resources.map(\.rawValue).joined(separator: ","), "full": "\(full)",
            "lookback_seconds": "\(lookback)", "events_past_days": "\(eventsPastDays)", "events_future_days": "\(eventsFutureDays)",
            "skipped": skipped.map(\.rawValue).joined(separator: ","),
        ]
    }
}

extension Resource: ExpressibleByArgument {}

/// What `--skip-resource` can leave out: resources read along with another one.
enum SkippableResource: String, CaseIterable, ExpressibleByArgument {
    case tickets
    case ticketVariants = "ticket-variants"
    case marketingConsents = "marketing-consents"
    case availability
    case informationRequests = "information-requests"
    case informationAnswers = "information-answers"

    /// The top-level resource this name leaves out of the run (nil: a child resource, an option).
    var resource: Resource? {
        switch self {
        case .tickets, .ticketVariants, .informationRequests, .informationAnswers: nil
        case .marketingConsents: .marketingConsents
        case .availability: .availability
        }
    }
}
