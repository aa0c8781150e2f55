import Foundation
import PostgresClient
import SyncTestSupport
import Testing

@Suite("status --html")
struct StatusPageCommandTests {
    @Test("after a real sync and a failed run, status --html FILE writes the page: every resource fresh, a run strip with the failure, no script")
    func writesPage() async throws {
        try await CommandLineWorld.with { world in
            let sync = try await world.run("sync", "--events-past-days", "3650")
            #expect(sync.status == 0, "\(sync.output)")
            let failed = try await world.run("sync", environment: ["UNDERSTORY_CLIENT_SECRET": "wrong"])
            #expect(failed.status != 0)
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("status-\(UUID().uuidString).html")
            defer { try? FileManager.default.removeItem(at: file) }
            let status = try await world.run("status", "--html", file.path)
            #expect(status.status == 0, "\(status.output)")
            let page = try String(contentsOf: file, encoding: .utf8)
            #expect(page.hasPrefix("<!doctype html>"))
            for resource in ["bookings", "orders", "events", "experiences"] {
                #expect(page.contains("<td>\(resource)</td>"), "\(resource) missing from the freshness table")
            }
            #expect(page.contains("class=\"run succeeded\""), "the strip shows the successful run")
            #expect(!page.contains("<script"))
            #expect(!page.contains("wrong"), "no secret on the page")
        }
    }

    static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test(
        "headless Chromium renders the page of a real sync with a failed run, an account to reconnect, a parked delivery and a rejected item: every section in the DOM",
        .enabled(if: chromium != nil, "needs Debian's chromium (scripts/test installs it as root; else apt-get install chromium)")
    )
    func chromiumDOM() async throws {
        try await CommandLineWorld.with { world in
            #expect(try await world.run("sync", "--events-past-days", "3650").status == 0)
            // A failed run of a known account: bookings stay locked by another session past the run's lock timeout.
            try await PostgresConnection.withConnection(world.database, logger: quietLogger) { blocker in
                _ = try await blocker.execute("BEGIN")
                _ = try await blocker.execute("LOCK TABLE understory.bookings IN ACCESS EXCLUSIVE MODE")
                let failed = try await world.run("sync", "--events-past-days", "3650", environment: ["PGOPTIONS": "-c lock_timeout=200ms"])
                _ = try await blocker.execute("ROLLBACK")
                #expect(failed.status == 75, "\(failed.output)")
            }
            let company = world.simulator.configuration.companyID
            _ = try await world.query(
                """
                INSERT INTO understory.accounts (company_id, company_name, client_id, status, status_reason, refresh_token_sealed)
                VALUES ('acct-revoked', 'Revoked & Co', 'client', 'needs_reconnect', 'consent revoked', '\\x00'::bytea)
                """
            )
            _ = try await world.query(
                """
                INSERT INTO understory.webhook_inbox (company_id, webhook_id, event_type, resource, resource_id, body, status, attempts, last_error)
                VALUES ('\(company)', 'w1', 'v1.booking.updated', 'bookings', 'b-parked', '{}', 'parked', 10, 'HTTP 500 from /v1/bookings/b-parked')
                """
            )
            _ = try await world.query(
                """
                INSERT INTO understory.rejected_items (company_id, resource, item_key, item_id, reason, raw_text)
                VALUES ('\(company)', 'bookings', 'id:b-rejected', 'b-rejected', 'updated_at is missing', '{}')
                """
            )
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("status-page-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let file = directory.appendingPathComponent("status.html")
            let status = try await world.run("status", "--html", file.path)
            #expect(status.status == 0, "\(status.output)")

            let dom = try await Self.dumpDOM(file, profile: directory.appendingPathComponent("profile"))
            for section in ["freshness", "reconnect", "skipped", "inbox", "rejected", "reconcile", "runs"] {
                #expect(dom.contains("<section id=\"\(section)\">"), "section \(section) missing from the DOM")
            }
            #expect(dom.contains("title=\"run 2 sync failed (exit 75)"), "the failed run's exit status in its title")
            #expect(dom.contains("class=\"run failed\" title=\"run 2 sync failed (exit 75)") && dom.contains(">75</span>"), "and in its box")
            #expect(dom.contains("<td>marketing-consents</td><td><code>marketing.read</code></td>"), "the skipped resource with the scope to tick")
            #expect(dom.contains("<td class=\"num bad\">75</td>"), "the last run's exit status in the runs table")
            #expect(dom.contains("acct-revoked") && dom.contains("Revoked &amp; Co") && dom.contains("understory-sync accounts connect"))
            #expect(dom.contains("HTTP 500 from /v1/bookings/b-parked"), "the parked delivery's error")
            #expect(dom.contains("b-rejected") && dom.contains("updated_at is missing"), "the rejected item")
            #expect(dom.contains("class=\"run succeeded\"") && dom.contains("class=\"run failed\""), "the run strip shows both outcomes")
            #expect(!dom.contains("<script"))
        }
    }

    /// `chromium --headless --dump-dom` of a file: the DOM after parsing, as Chromium serialises it.
    static func dumpDOM(_ file: URL, profile: URL) async throws -> String {
        let output = profile.deletingLastPathComponent().appendingPathComponent("dom.html")
        // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
        let run = try await ChildProcess.run(
            try #require(chromium),
            ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(profile.path)", "--dump-dom", file.absoluteString],
            environment: ProcessInfo.processInfo.environment, stdout: .file(output.path), stderr: .discard
        )
        #expect(run.status == 0)
        return try String(contentsOf: output, encoding: .utf8)
    }
}
