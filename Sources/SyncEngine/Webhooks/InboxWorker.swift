import Foundation
import Logging
import PostgresClient
import ServiceLifecycle
import Synchronization
import UnderstoryAPI

/// Drains `understory.webhook_inbox`: for each pending delivery it GETs the booking, event or
/// experience by id and upserts it through the same staging + upsert as `sync` (``BatchLoader``,
/// ``TableSpec``), so an older version never overwrites a newer row and out-of-order deliveries are
/// harmless. `v1.event.deleted`, `v1.experience.deleted` and a 404 set `_deleted_at`. The upsert and
/// the row's `processed` mark commit together, so processing is idempotent: a crash before the
/// commit leaves the row pending and the next start processes it. A failure is retried with
/// back-off; after `maxAttempts` the row is parked with its error.
public struct InboxWorker: Sendable {
    public struct Options: Sendable {
        /// Failed attempts before a row is parked.
        public var maxAttempts = 10
        /// Wait after the first failure; doubles per failure up to `maxDelay`.
        public var baseDelay: Duration = .seconds(2)
        public var maxDelay: Duration = .seconds(600)
        /// Rows taken per round.
        public var batchSize = 200
        /// GETs in flight at once.
        public var fetchConcurrency = 8
        /// Longest wait between rounds when nothing wakes the worker.
        public var idleWait: Duration = .seconds(1)
        /// Processed rows older than this are deleted.
        public var retention: Duration = .seconds(7 * 86_400)
        /// What a sync would also store with an item (a booking's tickets unless `tickets` is off).
        public var sync = SyncOptions()

        public init() {}
    }

    /// What happened to rows, for metrics and logs.
    public enum Outcome: Sendable {
        /// Stored (or marked deleted); `latency` from receipt to commit.
        case processed(resource: String?, latency: Duration)
        case failed(resource: String?)
        case parked(resource: String?)
    }

    public let database: PostgresConfiguration
    /// The API client of an account (company id → client).
    public let client: @Sendable (String) async throws -> UnderstoryClient
    public let options: Options
    public let clock: UnderstoryClock
    public let logger: Logger
    public let signal: InboxSignal
    public let onOutcome: (@Sendable (Outcome) -> Void)?

    public init(
        database: PostgresConfiguration,
        options: Options = Options(),
        clock: UnderstoryClock = .system,
        logger: Logger,
        signal: InboxSignal = InboxSignal(),
        onOutcome: (@Sendable (Outcome) -> Void)? = nil,
        client: @escaping @Sendable (String) async throws -> UnderstoryClient
    ) {
        self.database = database
        self.options = options
        self.clock = clock
        self.logger = logger
        self.signal = signal
        self.onOutcome = onOutcome
        self.client = client
    }

    /// Back-off after `failures` failed attempts: `baseDelay · 2^(failures−1)`, capped at `maxDelay`.
    public static func backoff(afterFailures failures: Int, options: Options) -> Duration {
        let exponent = max(0, min(failures - 1, 30))
        let delay = options.baseDelay * (1 << exponent)
        return min(delay, options.maxDelay)
    }

    /// Processes rows until cancelled or graceful shutdown (the round in hand is finished first).
    public func run() async throws {
        let connection = try await PostgresConnection.connect(database, logger: logger)
        defer { Task { await connection.close() } }
        try await BatchLoader(connection: connection, runID: 0).prepare([.bookings, .events, .experiences, .bookingTickets, .experienceTicketVariants])
        var lastPrune: ContinuousClock.Instant?
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            if lastPrune.map({ clock.now() - $0 > .seconds(3600) }) ?? true {
                let cutoff = clock.wallClock().addingTimeInterval(-Double(options.retention.components.seconds))
                let pruned = try await WebhookInbox(connection: connection).prune(processedBefore: cutoff)
                if pruned > 0 { logger.info("pruned processed webhook inbox rows", metadata: ["rows": "\(pruned)"]) }
                lastPrune = clock.now()
            }
            do {
                let handled = try await drainRound(on: connection)
                if handled > 0 { continue }
            } catch let error as PostgresError {
                logger.error("webhook inbox round failed", metadata: ["error": "\(error)"])
            }
            var wait = options.idleWait
            if let due = try? await WebhookInbox(connection: connection).nextDue() {
                let seconds = due.timeIntervalSince(clock.wallClock())
                wait = min(wait, .milliseconds(max(0, Int64(seconds * 1000))))
            }
            await signal.wait(upTo: wait, clock: clock)
        }
    }

    /// Processes every row due now (several rounds); returns how many rows were handled.
    @discardableResult
    public func drain() async throws -> Int {
        try await PostgresConnection.withConnection(database, logger: logger) { connection in
            try await BatchLoader(connection: connection, runID: 0).prepare([.bookings, .events, .experiences, .bookingTickets, .experienceTicketVariants])
            var total = 0
            while true {
                let handled = try await drainRound(on: connection)
                if handled == 0 { return total }
                total += handled
            }
        }
    }

    /// One round: up to `batchSize` due rows, grouped by account.
    func drainRound(on connection: PostgresConnection) async throws -> Int {
        let rows = try await WebhookInbox(connection: connection).due(now: clock.wallClock(), limit: options.batchSize)
        guard !rows.isEmpty else { return 0 }
        var byCompany: [String: [WebhookInbox.Pending]] = [:]
        for row in rows { byCompany[row.companyID, default: []].append(row) }
        for (companyID, rows) in byCompany.sorted(by: { $0.key < $1.key }) {
            try await process(rows, companyID: companyID, on: connection)
        }
        return rows.count
    }

    struct Subject: Hashable, Sendable {
        var resource: String
        var id: String
    }

    private func process(_ rows: [WebhookInbox.Pending], companyID: String, on connection: PostgresConnection) async throws {
        var subjects: [Resource: [String: Bool]] = [:]  // resource → id → a deletion message is among its rows
        var failures: [Subject: String] = [:]
        for row in rows {
            guard let name = row.resource, let id = row.resourceID else { continue }
            guard let resource = Resource(rawValue: name) else {
                failures[Subject(resource: name, id: id)] = "unknown resource \(name)"
                continue
            }
            subjects[resource, default: [:]][id] = (subjects[resource]?[id] ?? false) || row.eventType.hasSuffix(".deleted")
        }
        let runID = -(rows.map(\.id).min() ?? 0)
        var context: PlanContext?
        var batches: [(Resource, InboxBatch)] = []
        do {
            let client = try await self.client(companyID)
            let planContext = PlanContext(
                client: client, connection: connection, companyID: companyID, runID: runID, options: options.sync, logger: logger, progress: nil
            )
            context = planContext
            for (resource, ids) in subjects.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                let batch = await resource.plans.inbox(planContext, ids, options.fetchConcurrency)
                for (id, message) in batch.failures { failures[Subject(resource: resource.rawValue, id: id)] = message }
                batches.append((resource, batch))
            }
        } catch {
            for (resource, ids) in subjects {
                for id in ids.keys { failures[Subject(resource: resource.rawValue, id: id)] = "no API client for account \(companyID): \(error)" }
            }
        }

        let succeeded = try await connection.withTransaction { connection in
            if let context {
                for (resource, batch) in batches {
                    for (id, message) in try await batch.write(context) { failures[Subject(resource: resource.rawValue, id: id)] = message }
                }
            }
            let succeeded = rows.filter { row in
                guard let resource = row.resource, let id = row.resourceID else { return true }
                return failures[Subject(resource: resource, id: id)] == nil
            }
            try await WebhookInbox(connection: connection).markProcessed(succeeded.map(\.id))
            return succeeded
        }
        let now = clock.wallClock()
        for row in succeeded {
            onOutcome?(.processed(resource: row.resource, latency: .milliseconds(Int64(max(0, now.timeIntervalSince(row.receivedAt)) * 1000))))
        }
        let inbox = WebhookInbox(connection: connection)
        for row in rows {
            guard let resource = row.resource, let id = row.resourceID, let message = failures[Subject(resource: resource, id: id)] else { continue }
            let failures = row.attempts + 1
            let park = failures >= options.maxAttempts
            let delay = Self.backoff(afterFailures: failures, options: options).components
            let next = now.addingTimeInterval(Double(delay.seconds) + Double(delay.attoseconds) / 1e18)
            try await inbox.recordFailure(row.id, error: message, nextAttempt: next, park: park)
            if park {
                logger.error(
                    "webhook message parked", metadata: ["resource": "\(resource)", "inbox_id": "\(row.id)", "attempts": "\(failures)", "error": "\(message)"]
                )
            } else {
                logger.warning("webhook message failed; will retry", metadata: ["resource": "\(resource)", "inbox_id": "\(row.id)", "attempts": "\(failures)"])
            }
            onOutcome?(park ? .parked(resource: resource) : .failed(resource: resource))
        }
    }
}

/// Wakes the inbox worker when a delivery was stored (instead of waiting for its idle timeout).
public final class InboxSignal: Sendable {
    private let pending = Mutex(false)

    public init() {}

    public func notify() {
        pending.withLock { $0 = true }
    }

    /// Returns when notified (clearing the notice) or after `duration`, whichever is first.
    func wait(upTo duration: Duration, clock: UnderstoryClock) async {
        let step = Duration.milliseconds(10)
        var waited = Duration.zero
        while waited < duration {
            if pending.withLock({ value in defer { value = false }; return value }) { return }
            if Task.isCancelled || Task.isShuttingDownGracefully { return }
            do { try await clock.sleep(step) } catch { return }
            waited += step
        }
        _ = pending.withLock { value in defer { value = false }; return value }
    }
}
