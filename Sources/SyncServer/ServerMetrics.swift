import CoreMetrics
import Foundation
import Metrics
import PostgresClient
import Prometheus
import SyncEngine
import UnderstoryAPI

/// The metrics `serve` (and `schedule --metrics-port`) expose at `GET /metrics`, through
/// swift-metrics handlers backed by one Prometheus registry (no global bootstrap: the factory is
/// injected). Counters move as things happen; gauges read from PostgreSQL at each scrape.
public final class ServerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let factory: PrometheusMetricsFactory

    let received: CoreMetrics.Counter
    let duplicates: CoreMetrics.Counter
    let processedLatency: CoreMetrics.Timer
    let failed: CoreMetrics.Counter
    let parked: CoreMetrics.Counter
    let inboxPending: CoreMetrics.Gauge
    let inboxParked: CoreMetrics.Gauge
    let inboxOldestPendingSeconds: CoreMetrics.Gauge

    public init() {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets["understory_webhook_to_row_seconds"] = [
            .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
            .seconds(1), .seconds(2), .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(300),
        ]
        self.registry = registry
        self.factory = factory
        self.received = CoreMetrics.Counter(label: "understory_webhooks_received_total", factory: factory)
        self.duplicates = CoreMetrics.Counter(label: "understory_webhooks_duplicate_total", factory: factory)
        self.processedLatency = CoreMetrics.Timer(label: "understory_webhook_to_row_seconds", factory: factory)
        self.failed = CoreMetrics.Counter(label: "understory_webhooks_failed_attempts_total", factory: factory)
        self.parked = CoreMetrics.Counter(label: "understory_webhooks_parked_total", factory: factory)
        self.inboxPending = CoreMetrics.Gauge(label: "understory_webhook_inbox_pending", factory: factory)
        self.inboxParked = CoreMetrics.Gauge(label: "understory_webhook_inbox_parked", factory: factory)
        self.inboxOldestPendingSeconds = CoreMetrics.Gauge(label: "understory_webhook_inbox_oldest_pending_seconds", factory: factory)
    }

    func rejected(_ reason: String) {
        CoreMetrics.Counter(label: "understory_webhooks_rejected_total", dimensions: [("reason", reason)], factory: factory).increment()
    }

    /// Feeds the worker's outcomes into the counters and the latency histogram.
    public func record(_ outcome: InboxWorker.Outcome) {
        switch outcome {
        case .processed(let resource, let latency):
            CoreMetrics.Counter(label: "understory_webhooks_processed_total", dimensions: [("resource", resource ?? "none")], factory: factory).increment()
            processedLatency.recordNanoseconds(latency.components.seconds * 1_000_000_000 + latency.components.attoseconds / 1_000_000_000)
        case .failed:
            failed.increment()
        case .parked:
            parked.increment()
        }
    }

    /// Reads what PostgreSQL knows (inbox depth, runs by status, rows by resource, time since the
    /// last successful sync) and the API clients' request statistics into gauges.
    public func refresh(connection: PostgresConnection, now: Date, apiStatistics: [RequestStatistics]) async throws {
        let inbox = try await WebhookInbox(connection: connection).summary()
        inboxPending.record(inbox.pending)
        inboxParked.record(inbox.parked)
        inboxOldestPendingSeconds.record(inbox.oldestPendingReceivedAt.map { max(0, now.timeIntervalSince($0)) } ?? 0)

        for row in try await connection.execute("SELECT status, count(*) AS n FROM understory.sync_runs GROUP BY status").rows {
            CoreMetrics.Gauge(label: "understory_sync_runs", dimensions: [("status", try row["status"].decode(String.self))], factory: factory)
                .record(try row["n"].decode(Int.self))
        }
        for row in try await connection.execute(
            """
            SELECT resource, extract(epoch FROM ($1::timestamptz - max(last_success_at)))::float8 AS age
            FROM understory.sync_state WHERE last_success_at IS NOT NULL GROUP BY resource
            """,
            [now]
        ).rows {
            CoreMetrics.Gauge(
                label: "understory_seconds_since_last_successful_sync", dimensions: [("resource", try row["resource"].decode(String.self))],
                factory: factory
            ).record(try row["age"].decode(Double.self))
        }
        for table in ["bookings", "events", "experiences", "orders"] {
            let n = try await connection.execute("SELECT count(*) AS n FROM understory.\(table)").rows[0]["n"].decode(Int.self)
            CoreMetrics.Gauge(label: "understory_rows", dimensions: [("resource", table)], factory: factory).record(n)
        }
        var total = RequestStatistics()
        for statistics in apiStatistics {
            total.requests += statistics.requests
            total.retries += statistics.retries
            total.rateLimited += statistics.rateLimited
        }
        CoreMetrics.Gauge(label: "understory_api_requests", factory: factory).record(total.requests)
        CoreMetrics.Gauge(label: "understory_api_retries", factory: factory).record(total.retries)
        CoreMetrics.Gauge(label: "understory_api_rate_limited", factory: factory).record(total.rateLimited)
    }

    /// The Prometheus text exposition.
    public func exposition() -> [UInt8] { registry.emitToBuffer() }
}
