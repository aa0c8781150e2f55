import Foundation
import Logging
import PostgresClient
import ServiceLifecycle
import TimeSource
import UnderstoryAPI

/// Drains `understory.webhook_inbox`: for each pending delivery it GETs the booking, event or
/// experience by id and upserts it through the same staging + upsert as `sync` (``BatchLoader``,
/// ``TableSpec``), so an older version never overwrites a newer row and out-of-order deliveries are
/// harmless. The upsert and the row's `processed` mark commit together, so processing is
/// idempotent: a crash before the commit leaves the row pending and the next claim processes it.
///
/// Every failure is the message's, never the process's (``InboxRound``): an API error on the item
/// or its children, an undecodable item, a value PostgreSQL refuses — the row gets `attempts + 1`,
/// a one-line error and a next attempt by back-off; after `maxAttempts` it is parked; an item that
/// cannot be stored is quarantined in `rejected_items` as `sync` does. A deletion message or a 404
/// marks an item deleted only after another 404 at least `deletionConfirmation` later.
///
/// Several workers (several `serve` processes) share one inbox: rows are claimed with
/// `FOR UPDATE SKIP LOCKED` and a lease (``WebhookInbox/claim(limit:lease:confirmAfter:)``), and
/// every due time is the database's `now()`. The worker's connection is reopened with back-off when
/// it breaks (a PostgreSQL restart, a terminated backend); ``heartbeat`` tells `/healthz` whether
/// rounds still finish.
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
        /// How long claimed rows stay with their worker: one that dies mid-round leaves them due
        /// again after this; one that takes longer has its outcome ignored (another claimed them).
        public var claimLease: Duration = .seconds(120)
        /// A deletion message or a 404 counts only when another 404 comes at least this much later
        /// (an API that lags just after `created` is not taken for a deletion).
        public var deletionConfirmation: Duration = .seconds(30)
        /// Wait before reopening a broken connection; doubles per failure up to `reconnectMaxDelay`.
        public var reconnectBaseDelay: Duration = .milliseconds(500)
        public var reconnectMaxDelay: Duration = .seconds(30)
        /// A worker that has not finished a round, nor one account's rows of it, nor waited for
        /// work, for longer is stuck: `/healthz` answers 503.
        public var stallLimit: Duration = .seconds(300)
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
    public let clock: any TimeSource
    public let logger: Logger
    public let signal: InboxSignal
    public let heartbeat: InboxHeartbeat
    public let onOutcome: (@Sendable (Outcome) -> Void)?

    public init(
        database: PostgresConfiguration,
        options: Options = Options(),
        clock: any TimeSource = .system,
        logger: Logger,
        signal: InboxSignal = InboxSignal(),
        heartbeat: InboxHeartbeat? = nil,
        onOutcome: (@Sendable (Outcome) -> Void)? = nil,
        client: @escaping @Sendable (String) async throws -> UnderstoryClient
    ) {
        self.database = database
        self.options = options
        self.clock = clock
        self.logger = logger
        self.signal = signal
        self.heartbeat = heartbeat ?? InboxHeartbeat(clock: clock)
        self.onOutcome = onOutcome
        self.client = client
    }

    /// Back-off after `failures` failed attempts: `baseDelay · 2^(failures−1)`, capped at `maxDelay`.
    public static func backoff(afterFailures failures: Int, options: Options) -> Duration {
        backoff(afterFailures: failures, base: options.baseDelay, max: options.maxDelay)
    }

    /// `base · 2^(failures−1)`, capped at `max`.
    static func backoff(afterFailures failures: Int, base: Duration, max maximum: Duration) -> Duration {
        let exponent = max(0, min(failures - 1, 30))
        return min(base * (1 << exponent), maximum)
    }

    /// Whether the worker has neither finished a round nor waited for work for longer than `stallLimit`.
    public var isStalled: Bool { heartbeat.silence > options.stallLimit }

    private var stopping: Bool { Task.isCancelled || Task.isShuttingDownGracefully }

    /// Processes rows until cancelled or graceful shutdown (the round in hand is finished first).
    /// Never throws (the signature is a service's): a broken connection, or any error outside one
    /// message, is logged and the connection reopened after a back-off; cancellation returns.
    public func run() async throws {
        var failures = 0
        await withGracefulShutdownHandler {
            while !stopping {
                do {
                    try await PostgresConnection.withConnection(database, logger: logger) { connection in
                        try await prepare(connection)
                        if failures > 0 { logger.info("webhook inbox worker reconnected to PostgreSQL") }
                        failures = 0
                        try await rounds(on: connection)
                    }
                } catch {
                    if stopping { break }
                    failures += 1
                    let delay = Self.backoff(afterFailures: failures, base: options.reconnectBaseDelay, max: options.reconnectMaxDelay)
                    logger.error(
                        "webhook inbox worker lost its PostgreSQL connection; reconnecting",
                        metadata: ["error": "\(error)", "failures": "\(failures)", "retry_in": "\(delay)"]
                    )
                    do { try await clock.sleep(for: delay) } catch { break }
                }
            }
        } onGracefulShutdown: {
            signal.notify()
        }
    }

    /// Rounds on one connection until stopped; throws what breaks the connection.
    private func rounds(on connection: PostgresConnection) async throws {
        let inbox = WebhookInbox(connection: connection)
        var lastPrune: ContinuousClock.Instant?
        while !stopping {
            if lastPrune.map({ clock.now - $0 > .seconds(3600) }) ?? true {
                let pruned = try await inbox.prune(processedLongerAgoThan: options.retention)
                if pruned > 0 { logger.info("pruned processed webhook inbox rows", metadata: ["rows": "\(pruned)"]) }
                lastPrune = clock.now
            }
            let handled = try await drainRound(on: connection)
            heartbeat.beat()
            if handled > 0 { continue }
            var wait = options.idleWait
            if let due = try await inbox.untilNextDue() { wait = max(.zero, min(wait, due)) }
            guard wait > .zero else { continue }
            await heartbeat.idle { await signal.wait(upTo: wait, clock: clock) }
        }
    }

    /// Processes every row due now (several rounds); returns how many rows were handled.
    @discardableResult
    public func drain() async throws -> Int {
        try await PostgresConnection.withConnection(database, logger: logger) { connection in
            try await prepare(connection)
            var total = 0
            while true {
                let handled = try await drainRound(on: connection)
                if handled == 0 { return total }
                total += handled
            }
        }
    }

    /// The resources webhook messages are about (from their declarations), and their staging tables.
    public static var resources: [Resource] { ResourceCatalog.current.plans.filter { $0.webhookTopic != nil }.map { $0.resource } }
    static var stagedTables: [TableSpec] { resources.flatMap { $0.plans.stagedTables } }

    private func prepare(_ connection: PostgresConnection) async throws {
        try await BatchLoader(connection: connection, runID: 0).prepare(Self.stagedTables)
    }

    /// One round: claims up to `batchSize` due rows and processes them account by account.
    func drainRound(on connection: PostgresConnection) async throws -> Int {
        let claim = try await WebhookInbox(connection: connection).claim(
            limit: options.batchSize, lease: options.claimLease, confirmAfter: options.deletionConfirmation
        )
        guard !claim.rows.isEmpty else { return 0 }
        var byCompany: [String: [WebhookInbox.Pending]] = [:]
        for row in claim.rows { byCompany[row.companyID, default: []].append(row) }
        for (companyID, rows) in byCompany.sorted(by: { $0.key < $1.key }) {
            try await InboxRound(worker: self, connection: connection, claim: claim.token, companyID: companyID, rows: rows).process()
            heartbeat.beat()  // progress: a long round of many accounts is not a stuck one
        }
        return claim.rows.count
    }
}
