import AsyncHTTPClient
import Foundation
import NIOCore
import SyncEngine
import SyncServer
import SyncTestSupport
import Testing

@Suite("GET /: the status page")
struct StatusPageTests {
    @Test("GET / renders freshness with run strips, accounts to reconnect with the fix, the inbox with parked errors, rejected items, the last reconcile's drift and the runs, every value escaped, under a strict CSP")
    func statusPage() async throws {
        try await ServerHarness.with(holdProcessing: true) { harness in
            let hostile = #"<script>alert("x")</script> & co"#
            try await harness.recordSuccessfulSyncs(at: Date().addingTimeInterval(-3 * 3600))
            try await harness.query(
                "UPDATE understory.sync_state SET last_error = $1 WHERE company_id = $2 AND resource = 'bookings'", [hostile, harness.companyID]
            )
            try await harness.query(
                """
                INSERT INTO understory.accounts (company_id, company_name, email, client_id, status, status_reason, refresh_token_sealed)
                VALUES ('acct-revoked', $1, 'person@example.com', 'client', 'needs_reconnect', 'consent revoked', '\\x00'::bytea)
                """,
                [hostile]
            )
            try await harness.query(
                """
                INSERT INTO understory.sync_runs (company_id, command, status, finished_at, counts)
                VALUES ($1, 'reconcile', 'succeeded', now(), '{"bookings": {"missing": 2, "stale": 1, "deleted": 3, "children_fixed": 4}}')
                """,
                [harness.companyID]
            )
            try await harness.query(
                """
                INSERT INTO understory.sync_runs (company_id, command, status, finished_at, counts, error) VALUES
                  ($1, 'sync', 'succeeded', now(), '{"bookings": {"inserted": 1}}', NULL),
                  ($1, 'sync', 'failed', now(), '{}', $2)
                """,
                [harness.companyID, hostile]
            )
            try await harness.query(
                """
                INSERT INTO understory.webhook_inbox (company_id, webhook_id, event_type, resource, resource_id, body, status, attempts, last_error)
                VALUES ($1, 'w1', 'v1.booking.updated', 'bookings', 'b-parked', '{"email": "guest@example.com"}', 'parked', 10, 'HTTP 500 from /v1/bookings/b-parked')
                """,
                [harness.companyID]
            )
            try await harness.query(
                """
                INSERT INTO understory.rejected_items (company_id, resource, item_key, item_id, reason, raw_text)
                VALUES ($1, 'bookings', 'id:b-rejected', 'b-rejected', 'updated_at is missing', '{"email": "guest@example.com"}')
                """,
                [harness.companyID]
            )
            let response = try await harness.http.execute(HTTPClientRequest(url: "http://127.0.0.1:\(harness.port)/"), timeout: .seconds(120))
            let body = String(buffer: try await response.body.collect(upTo: 16 << 20))
            #expect(response.status.code == 200)
            #expect(response.headers.first(name: "content-type")?.hasPrefix("text/html") == true)
            let policy = response.headers.first(name: "content-security-policy") ?? ""
            #expect(policy.contains("default-src 'none'") && !policy.contains("script-src"), "\(policy)")
            for section in ["freshness", "reconnect", "skipped", "inbox", "reconcile", "runs"] {
                #expect(body.contains("<section id=\"\(section)\">"), "section \(section) missing")
            }
            #expect(body.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co"), "escaped error and name")
            #expect(!body.contains("<script"), "nothing unescaped, no script")
            #expect(body.contains("acct-revoked") && body.contains("understory-sync accounts connect"))
            #expect(!body.contains("person@example.com"), "no personal data")
            #expect(body.contains("<td>bookings</td><td class=\"num\">2</td><td class=\"num\">1</td><td class=\"num\">3</td><td class=\"num\">4</td>"), "\(body)")
            #expect(body.contains("3 h"), "stale age of the freshness rows")
            for section in ["rejected"] { #expect(body.contains("<section id=\"\(section)\">")) }
            #expect(body.contains("class=\"run succeeded\"") && body.contains("class=\"run failed\""), "the run strip")
            #expect(body.contains("b-parked") && body.contains("HTTP 500 from /v1/bookings/b-parked"), "parked delivery with its error")
            #expect(body.contains("b-rejected") && body.contains("updated_at is missing"), "rejected item with its reason")
            #expect(!body.contains("guest@example.com"), "never the raw item or delivery body")
        }
    }
}
