import Foundation
import PostgresClient
import SyncEngine
@testable import SyncServer
import SyncTestSupport
import Testing
import UnderstoryAPI

@Suite("GET /metrics: cheap, complete, by Prometheus conventions")
struct MetricsExpositionTests {
    @Test("a real scrape passes `promtool check metrics` (help text, _total counters, base units)", .enabled(if: PrometheusTools.promtool != nil, "\(PrometheusTools.missing)"))
    func promtoolFindsNothing() async throws {
        try await ServerHarness.with(holdProcessing: true) { harness in
            try await harness.recordSuccessfulSyncs(at: Date())
            _ = try await harness.post(ServerHarness.message(type: "v1.booking.updated", key: "booking_id", id: "x"), headers: [("webhook-id", "m")])
            let metrics = try await harness.get("/metrics")
            #expect(metrics.status == 200)
            for name in ["understory_last_successful_sync_timestamp_seconds", "understory_webhooks_rejected_total", "understory_table_rows"] {
                #expect(metrics.body.contains("\n\(name){"), "\(name) missing: \(metrics.body)")
            }
            let check = try await PrometheusTools.run(try #require(PrometheusTools.promtool), ["check", "metrics"], input: Array(metrics.body.utf8))
            #expect(check.status == 0 && check.output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "promtool check metrics: \(check.output)")
        }
    }

    @Test("every table of the engine's catalog has a row count, marketing_consents and the child tables included")
    func everyTableHasRows() async throws {
        try await ServerHarness.with(holdProcessing: true) { harness in
            #expect(OperationsSnapshot.syncedTables.contains("marketing_consents"))
            #expect(OperationsSnapshot.syncedTables.contains("booking_tickets"))
            try await harness.query(
                "INSERT INTO understory.marketing_consents (company_id, id, raw) SELECT $1, 'consent-' || g, '{}'::jsonb FROM generate_series(1, 3) g",
                [harness.companyID]
            )
            let counted = try await eventually {
                try await harness.get("/metrics").body.contains("understory_table_rows{table=\"marketing_consents\"} 3")
            }
            #expect(counted, "the three consents are counted (from PostgreSQL's statistics)")
            let body = try await harness.get("/metrics").body
            for table in OperationsSnapshot.syncedTables {
                #expect(body.contains("understory_table_rows{table=\"\(table)\"} "), "\(table) missing from /metrics")
            }
        }
    }

    @Test("a scrape reads no synced table: it answers while another session holds an exclusive lock on bookings")
    func scrapeReadsStatisticsNotTables() async throws {
        try await ServerHarness.with(holdProcessing: true) { harness in
            try await PostgresConnection.withConnection(harness.database, logger: harness.logger) { blocker in
                _ = try await blocker.execute("BEGIN")
                _ = try await blocker.execute("LOCK TABLE understory.bookings, understory.orders, understory.marketing_consents IN ACCESS EXCLUSIVE MODE")
                // count(*) would wait for the lock until the request's timeout; statistics do not.
                let metrics = try await harness.get("/metrics")
                _ = try await blocker.execute("ROLLBACK")
                #expect(metrics.status == 200)
                #expect(metrics.body.contains("understory_table_rows{table=\"bookings\"} "), "\(metrics.body)")
                #expect(metrics.body.contains("understory_database_up 1"), "\(metrics.body)")
            }
        }
    }

    @Test("API statistics are counters that never go back, even when a client goes away")
    func apiCountersOnlyGrow() throws {
        let metrics = ServerMetrics()
        var a = RequestStatistics(), b = RequestStatistics()
        (a.requests, a.retries, a.rateLimited) = (10, 2, 1)
        b.requests = 5
        metrics.recordAPI([a, b])
        metrics.recordAPI([a])
        a.requests += 3
        metrics.recordAPI([a])
        let text = String(decoding: metrics.exposition(), as: UTF8.self)
        #expect(text.contains("understory_api_requests_total 18"), "\(text)")
        #expect(text.contains("understory_api_retries_total 2"), "\(text)")
        #expect(text.contains("understory_api_rate_limited_total 1"), "\(text)")
    }
}
