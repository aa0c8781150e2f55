import Foundation
import PostgresClient
import SyncEngine
import SyncTestSupport
import Testing
import UnderstoryAPI
import UnderstorySimulator

@Suite("marketing consents: a full pass each run, only with the marketing.read scope")
struct MarketingConsentsTests {
    /// The default scopes plus `marketing.read`.
    static let scopes = UnderstoryConfiguration.Default.scopes + ["marketing.read"]

    /// A small account whose integration key was created with `marketing.read` ticked.
    static func account() -> SimulatorConfiguration {
        var configuration = SyncHarness.smallAccount()
        configuration.clients[0].scopes.insert("marketing.read")
        return configuration
    }

    static func options() -> SyncOptions {
        var options = SyncHarness.options()
        options.resources = [.marketingConsents]
        options.pageSize = 25
        return options
    }

    static func withConsents(_ body: (SyncHarness) async throws -> Void) async throws {
        try await SyncHarness.with(account(), scopes: scopes, body)
    }

    /// What `check` says about the optional scopes; the check as a whole passes either way.
    static func optionalScopes(_ harness: SyncHarness) async throws -> String {
        let check = await HealthCheck.run(client: harness.client, clientError: nil, database: harness.database, logger: harness.logger)
        #expect(check.ok, "\(check.items.map(\.detail))")
        let optional = try #require(check.items.first { $0.name == "optional scopes" })
        #expect(optional.ok)
        return optional.detail
    }

    @Test("with marketing.read every consent lands exactly as the simulator serves it, over several pages; a second run reads the whole list again and changes nothing")
    func landsExact() async throws {
        try await Self.withConsents { harness in
            let first = try await harness.runner.sync(Self.options())
            #expect(first.succeeded, "\(first.failures)")
            #expect(first.skipped.isEmpty)
            let served = harness.simulator.truth().marketingConsents.count
            #expect(served > 25)
            #expect(first.counts[.marketingConsents]?.inserted == served)
            #expect(first.counts[.marketingConsents]?.pages ?? 0 > 1)
            #expect(try await harness.differences(.marketingConsents, table: "marketing_consents").isEmpty)
            // booking_id is the id of the BOOKING reference; legacy rows without references have none.
            let mismatched = try await harness.count(
                "marketing_consents", where: "booking_id IS DISTINCT FROM (SELECT r ->> 'id' FROM jsonb_array_elements(CASE WHEN jsonb_typeof(raw -> 'references') = 'array' THEN raw -> 'references' ELSE '[]' END) r WHERE r ->> 'type' = 'BOOKING' LIMIT 1)"
            )
            #expect(mismatched == 0)
            #expect(try await harness.count("marketing_consents", where: "booking_id IS NOT NULL") > 0)
            #expect(try await harness.count("marketing_consents", where: "booking_id IS NULL") > 0)

            // status counts them like any resource.
            let status = try await PostgresConnection.withConnection(harness.database, logger: harness.logger) { try await StatusReport.load(from: $0) }
            #expect(status.resources.first { $0.resource == "marketing-consents" }?.rows == served)
            // The analysts' example adds up to every consent.
            let file = CitusLayoutTests.root.appendingPathComponent("sql/examples/consents_by_source.sql")
            let example = try String(contentsOf: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines).dropLast()
            let total = try await harness.query("SELECT sum(consents)::int AS n, count(*)::int AS sources FROM (\(example)\n) AS q").rows[0]
            #expect(try total["n"].decode(Int.self) == served)
            #expect(try total["sources"].decode(Int.self) > 1)

            harness.simulator.resetRequestCounts()
            let second = try await harness.runner.sync(Self.options())
            #expect(second.succeeded, "\(second.failures)")
            #expect(second.counts[.marketingConsents]?.unchanged == served)
            #expect(second.counts[.marketingConsents]?.inserted == 0)
            #expect(second.counts[.marketingConsents]?.updated == 0)
            #expect(harness.simulator.requestCounts()["/v1/marketing-consents"] != nil)
        }
    }

    @Test("a consent whose content changed (no timestamps) is updated, and new ones are inserted")
    func changedConsentsUpdate() async throws {
        try await Self.withConsents { harness in
            _ = try await harness.runner.sync(Self.options())
            let mutation = harness.simulator.mutate(updates: 3, creates: 2, cancels: 0, resources: [.marketingConsents])
            #expect(!(mutation.updated[.marketingConsents] ?? []).isEmpty)
            let summary = try await harness.runner.sync(Self.options())
            #expect(summary.succeeded, "\(summary.failures)")
            #expect(summary.counts[.marketingConsents]?.inserted == 2)
            #expect(summary.counts[.marketingConsents]?.updated ?? 0 > 0)
            #expect(try await harness.differences(.marketingConsents, table: "marketing_consents").isEmpty)
        }
    }

    @Test("a consent removed in the simulator gets _deleted_at once its GET answers 404; listed again, it is cleared")
    func removedConsentIsMarkedDeleted() async throws {
        try await Self.withConsents { harness in
            _ = try await harness.runner.sync(Self.options())
            let id = try #require(harness.simulator.ids(.marketingConsents).dropFirst(3).first)
            #expect(harness.simulator.delete(.marketingConsents, id: id))
            let removed = try await harness.runner.sync(Self.options())
            #expect(removed.succeeded, "\(removed.failures)")
            #expect(removed.counts[.marketingConsents]?.deleted == 1)
            #expect(try await harness.count("marketing_consents", where: "_deleted_at IS NOT NULL") == 1)
            #expect(try await harness.count("marketing_consents", where: "id = '\(id)' AND _deleted_at IS NOT NULL") == 1)
            #expect(harness.simulator.requestCounts()["/v1/marketing-consents/\(id)"] != nil)
            #expect(try await harness.differences(.marketingConsents, table: "marketing_consents").isEmpty)

            harness.simulator.restore(.marketingConsents, id: id)
            let back = try await harness.runner.sync(Self.options())
            #expect(back.succeeded, "\(back.failures)")
            #expect(try await harness.count("marketing_consents", where: "_deleted_at IS NOT NULL") == 0)
            #expect(try await harness.differences(.marketingConsents, table: "marketing_consents").isEmpty)
        }
    }

    @Test("without marketing.read the consents are skipped with one notice: the run succeeds, nothing is asked for, check shows the scope as optional")
    func skippedWithoutScope() async throws {
        // The default key and scopes: no marketing.read.
        try await SyncHarness.with { harness in
            let capture = LogCapture()
            let runner = SyncRunner(database: harness.database, client: harness.client, logger: capture.logger())
            let summary = try await runner.sync(SyncHarness.options())
            #expect(summary.succeeded, "\(summary.failures)")
            #expect(summary.firstError == nil)
            #expect(summary.failures.isEmpty)
            let notice = try #require(summary.skipped[.marketingConsents])
            #expect(notice.contains("marketing.read"))
            #expect(summary.counts[.bookings] != nil && summary.counts[.experiences] != nil)
            #expect(harness.simulator.requestCounts().keys.filter { $0.hasPrefix("/v1/marketing-consents") }.isEmpty)
            #expect(try await harness.count("marketing_consents") == 0)
            #expect(capture.lines.filter { $0.contains("skipped") }.count == 1, "\(capture.lines.filter { $0.contains("skipped") })")
            #expect(!capture.lines.contains { $0.hasPrefix("error") })

            #expect(try await Self.optionalScopes(harness).contains("marketing.read not granted (optional)"))
        }
    }

    @Test("check says marketing.read is granted when the key has it and the scopes ask for it")
    func checkShowsGrantedScope() async throws {
        try await Self.withConsents { harness in
            let detail = try await Self.optionalScopes(harness)
            #expect(detail.contains("marketing.read granted"))
        }
    }

    @Test("names and e-mail addresses of consents never reach the logs, even at trace level")
    func personalDataStaysOutOfLogs() async throws {
        try await Self.withConsents { harness in
            let capture = LogCapture()
            let runner = SyncRunner(database: harness.database, client: harness.client, logger: capture.logger(level: .trace))
            // A rejected consent too: its id is logged, never its content.
            let rejected = try #require(harness.simulator.ids(.marketingConsents).first)
            harness.simulator.corrupt(resource: .marketingConsents, id: rejected, removingField: "id")
            _ = try await runner.sync(Self.options())
            let id = try #require(harness.simulator.ids(.marketingConsents).dropFirst(5).first)
            harness.simulator.delete(.marketingConsents, id: id)
            _ = try await runner.sync(Self.options())
            #expect(try await harness.count("marketing_consents") > 0)
            let logs = capture.lines.joined(separator: "\n")
            #expect(!logs.isEmpty)
            for item in harness.simulator.truth().marketingConsents.values {
                let consent = try #require(try JSONSerialization.jsonObject(with: Data(item.json.utf8)) as? [String: Any])
                for field in ["full_name", "email"] {
                    let value = try #require(consent[field] as? String)
                    #expect(!logs.contains(value), "\(field) of consent \(item.id) was logged")
                }
            }
        }
    }

    @Test("reconcile repairs a consent edited in the table and reports it stale")
    func reconcileRepairsConsent() async throws {
        try await Self.withConsents { harness in
            _ = try await harness.runner.sync(Self.options())
            let id = try #require(harness.simulator.ids(.marketingConsents).first)
            try await harness.query("UPDATE understory.marketing_consents SET source = 'EDITED' WHERE id = $1", [id])
            let summary = try await harness.runner.reconcile(Self.options())
            #expect(summary.succeeded, "\(summary.failures)")
            #expect(summary.counts[.marketingConsents]?.stale == 1)
            #expect(try await harness.count("marketing_consents", where: "source = 'EDITED'") == 0)
            #expect(try await harness.differences(.marketingConsents, table: "marketing_consents").isEmpty)
        }
    }
}
