import Foundation
import PostgresClient
import Prometheus
import Synchronization
import SyncEngine
import UnderstoryAPI

/// The metrics `serve`, `worker --metrics-port` and `schedule --metrics-port` expose at
/// `GET /metrics`, in one Prometheus registry (no global bootstrap). Every metric has help text,
/// counters end in `_total`, durations and ages are in seconds, instants are `_timestamp_seconds`,
/// so `promtool check metrics` finds nothing. Counters move as things happen; gauges are read from
/// PostgreSQL at each scrape in a few cheap statements (``OperationsSnapshot``: row counts from
/// PostgreSQL's statistics, never `count(*)` over a synced table).
public final class ServerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry

    let received: Counter
    let duplicates: Counter
    let processedLatency: DurationHistogram
    let failed: Counter
    let parked: Counter
    let inboxPending: Gauge
    let inboxParked: Gauge
    let inboxOldestPendingSeconds: Gauge
    let databaseUp: Gauge
    /// The API statistics last added to the `understory_api_*_total` counters (they only move forward).
    private let apiSeen = Mutex(RequestStatistics())

    public init() {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        received = registry.makeCounter(name: "understory_webhooks_received_total", help: "Webhook deliveries received by POST /webhooks/understory.")
        duplicates = registry.makeCounter(
            name: "understory_webhooks_duplicate_total", help: "Webhook deliveries whose webhook-id was already stored."
        )
        processedLatency = registry.makeDurationHistogram(
            name: "understory_webhook_to_row_seconds",
            buckets: [
                .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
                .seconds(1), .seconds(2), .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(300),
            ],
            help: "Seconds from a webhook's receipt to its row committed."
        )
        failed = registry.makeCounter(
            name: "understory_webhooks_failed_attempts_total", help: "Inbox processing attempts that failed (the delivery is retried)."
        )
        parked = registry.makeCounter(name: "understory_webhooks_parked_total", help: "Inbox rows parked after their last failed attempt.")
        inboxPending = registry.makeGauge(name: "understory_webhook_inbox_pending", help: "Webhook inbox rows waiting to be processed.")
        inboxParked = registry.makeGauge(name: "understory_webhook_inbox_parked", help: "Webhook inbox rows parked (see understory.webhook_inbox).")
        inboxOldestPendingSeconds = registry.makeGauge(
            name: "understory_webhook_inbox_oldest_pending_seconds", help: "Age in seconds of the oldest pending webhook delivery (0 when none)."
        )
        databaseUp = registry.makeGauge(
            name: "understory_database_up", help: "1 when the last scrape could read PostgreSQL, 0 when it could not."
        )
        // Counters exist from the start (at 0), so rate() and the alert rules see them before the first event.
        for reason in ["signature", "timestamp", "missing_header", "too_large", "malformed"] { rejectedCounter(reason) }
        for resource in InboxWorker.resources.map(\.rawValue) + ["none"] { processedCounter(resource) }
        _ = apiCounters
    }

    func rejected(_ reason: String) {
        rejectedCounter(reason).increment()
    }

    @discardableResult
    private func rejectedCounter(_ reason: String) -> Counter {
        registry.makeCounter(
            name: "understory_webhooks_rejected_total", labels: [("reason", reason)],
            help: "Webhook deliveries refused, by reason: signature, timestamp, missing_header, too_large, malformed."
        )
    }

    @discardableResult
    private func processedCounter(_ resource: String) -> Counter {
        registry.makeCounter(
            name: "understory_webhooks_processed_total", labels: [("resource", resource)], help: "Webhook inbox rows processed, by resource."
        )
    }

    private var apiCounters: (requests: Counter, retries: Counter, rateLimited: Counter) {
        (
            registry.makeCounter(name: "understory_api_requests_total", help: "Understory API requests made by this process."),
            registry.makeCounter(name: "understory_api_retries_total", help: "Understory API requests retried by this process."),
            registry.makeCounter(name: "understory_api_rate_limited_total", help: "Understory API answers 429 (rate limited) seen by this process.")
        )
    }

    /// Feeds the worker's outcomes into the counters and the latency histogram.
    public func record(_ outcome: InboxWorker.Outcome) {
        switch outcome {
        case .processed(let resource, let latency):
            processedCounter(resource ?? "none").increment()
            processedLatency.record(latency)
        case .failed:
            failed.increment()
        case .parked:
            parked.increment()
        }
    }

    /// Reads what PostgreSQL knows (``OperationsSnapshot``) and the API clients' request
    /// statistics. When PostgreSQL does not answer, `understory_database_up` drops to 0, the other
    /// gauges keep their last values, and the error is thrown.
    public func refresh(connection: PostgresConnection, now: Date, apiStatistics: [RequestStatistics]) async throws {
        recordAPI(apiStatistics)
        let snapshot: OperationsSnapshot
        do {
            snapshot = try await OperationsSnapshot.read(connection: connection, now: now)
        } catch {
            databaseUp.set(Int64(0))
            throw error
        }
        databaseUp.set(Int64(1))
        record(snapshot, now: now)
    }

    /// The snapshot's gauges (ages as of `now`).
    func record(_ snapshot: OperationsSnapshot, now: Date) {
        inboxPending.set(Int64(snapshot.inbox.pending))
        inboxParked.set(Int64(snapshot.inbox.parked))
        inboxOldestPendingSeconds.set(snapshot.inbox.oldestPendingReceivedAt.map { max(0, now.timeIntervalSince($0)) } ?? 0)
        for table in snapshot.tableRows {
            registry.makeGauge(
                name: "understory_table_rows", labels: [("table", table.table)],
                help: "Rows per synced table, estimated from PostgreSQL's statistics (n_live_tup, else pg_class.reltuples); never counted."
            ).set(Int64(table.rows))
        }
        for (status, count) in snapshot.recentRuns {
            registry.makeGauge(
                name: "understory_sync_runs_last_day", labels: [("status", status)],
                help: "sync_runs rows started in the last 24 hours, by status."
            ).set(Int64(count))
        }
        for (resource, at) in snapshot.lastSuccess {
            registry.makeGauge(
                name: "understory_last_successful_sync_timestamp_seconds", labels: [("resource", resource)],
                help: "Unix time of the newest successful sync of each resource over all accounts (sync_state.last_success_at)."
            ).set(at.timeIntervalSince1970)
        }
        for (status, count) in snapshot.accounts {
            registry.makeGauge(
                name: "understory_accounts", labels: [("status", status)],
                help: "Connected accounts (understory.accounts) by status: active, needs_reconnect, disconnected."
            ).set(Int64(count))
        }
        for (key, count) in snapshot.skipped {
            registry.makeGauge(
                name: "understory_resources_skipped", labels: [("resource", key.resource), ("scope", key.scope)],
                help: "Accounts whose last run skipped the resource because the integration key lacks the scope (tick it on the key and add it to UNDERSTORY_SCOPES)."
            ).set(Int64(count))
        }
        for (resource, count) in snapshot.unresolvedRejected {
            registry.makeGauge(
                name: "understory_rejected_items", labels: [("resource", resource)],
                help: "Unresolved rows of understory.rejected_items (items the API sent that could not be stored), by resource."
            ).set(Int64(count))
        }
    }

    /// Adds what the API clients did since the last scrape to the `_total` counters (a client that
    /// went away takes its share with it: the counters never go back).
    func recordAPI(_ statistics: [RequestStatistics]) {
        var total = RequestStatistics()
        for statistics in statistics {
            total.requests += statistics.requests
            total.retries += statistics.retries
            total.rateLimited += statistics.rateLimited
        }
        let seen = apiSeen.withLock { seen in
            defer { seen = total }
            return seen
        }
        let counters = apiCounters
        counters.requests.increment(by: Int64(max(0, total.requests - seen.requests)))
        counters.retries.increment(by: Int64(max(0, total.retries - seen.retries)))
        counters.rateLimited.increment(by: Int64(max(0, total.rateLimited - seen.rateLimited)))
    }

    /// The Prometheus text exposition.
    public func exposition() -> [UInt8] { registry.emitToBuffer() }
}
