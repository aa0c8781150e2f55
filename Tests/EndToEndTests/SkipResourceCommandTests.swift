import Foundation
import PostgresClient
import SyncTestSupport
import Testing
import UnderstorySimulator

@Suite("sync --skip-resource as a user runs it")
struct SkipResourceCommandTests {
    @Test("sync --skip-resource ticket-variants stores experiences without their variants; a later sync --full adds them")
    func skipTicketVariants() async throws {
        try await CommandLineWorld.with { world in
            let skipped = try await world.run("sync", "--resource", "experiences", "--skip-resource", "ticket-variants")
            #expect(skipped.status == 0, "\(skipped.output)")
            let afterSkip = try await world.query("SELECT (SELECT count(*) FROM understory.experiences)::int AS e, (SELECT count(*) FROM understory.experience_ticket_variants)::int AS v")
            #expect(try afterSkip.rows[0]["e"].decode(Int.self) > 0)
            #expect(try afterSkip.rows[0]["v"].decode(Int.self) == 0)
            // The experiences did not change, so only --full asks for their variants again.
            let full = try await world.run("sync", "--resource", "experiences", "--full")
            #expect(full.status == 0, "\(full.output)")
            let stored = try await world.query("SELECT count(DISTINCT experience_id)::int AS n FROM understory.experience_ticket_variants")
            #expect(try stored.rows[0]["n"].decode(Int.self) == world.simulator.truth().experiences.count)
        }
    }

    @Test("sync --skip-resource availability --skip-resource information-answers asks for neither and stores neither; the rest is synced")
    func skipAvailabilityAndAnswers() async throws {
        try await CommandLineWorld.with { world in
            let skipped = try await world.run("sync", "--skip-resource", "availability", "--skip-resource", "information-answers")
            #expect(skipped.status == 0, "\(skipped.output)")
            let requested = world.simulator.requestCounts().keys
            #expect(!requested.contains { $0.hasPrefix("/v1/event-availabilities") || $0.hasSuffix("/information-request-answers") })
            let counts = try await world.query(
                """
                SELECT (SELECT count(*) FROM understory.event_availabilities)::int AS a, (SELECT count(*) FROM understory.booking_information_answers)::int AS n,
                       (SELECT count(*) FROM understory.experience_information_requests)::int AS q, (SELECT count(*) FROM understory.booking_tickets)::int AS t
                """
            ).rows[0]
            #expect(try counts["a"].decode(Int.self) == 0 && counts["n"].decode(Int.self) == 0)
            #expect(try counts["q"].decode(Int.self) > 0 && counts["t"].decode(Int.self) > 0)
            // A plain sync then reads availability; the answers of unchanged bookings wait for --full.
            let plain = try await world.run("sync")
            #expect(plain.status == 0, "\(plain.output)")
            #expect(try await world.query("SELECT count(*)::int AS n FROM understory.event_availabilities").rows[0]["n"].decode(Int.self) > 0)
        }
    }

    @Test("without marketing.read a plain sync skips marketing consents with one notice and exits 0; check lists the scope as optional")
    func consentsSkippedWithoutScope() async throws {
        try await CommandLineWorld.with { world in
            let sync = try await world.run("sync")
            #expect(sync.status == 0, "\(sync.output)")
            // One notice in the log, one row in the run summary; no failure.
            #expect(sync.stderr.components(separatedBy: "resource skipped").count == 2, "\(sync.stderr)")
            #expect(sync.stdout.split(separator: "\n").contains { $0.hasPrefix("marketing-consents") && $0.contains("skipped: the token was not granted marketing.read") }, "\(sync.stdout)")
            #expect(!sync.output.lowercased().contains("failed"), "\(sync.output)")
            #expect(world.simulator.requestCounts().keys.filter { $0.hasPrefix("/v1/marketing-consents") }.isEmpty)
            let check = try await world.run("check")
            #expect(check.status == 0, "\(check.output)")
            #expect(check.output.contains("ok   optional scopes: marketing.read not granted (optional)"), "\(check.output)")
        }
    }

    @Test("with marketing.read, sync stores the consents and --skip-resource marketing-consents leaves them out without a notice")
    func skipMarketingConsents() async throws {
        var configuration = CommandLineWorld.account()
        configuration.clients[0].scopes.insert("marketing.read")
        try await CommandLineWorld.with(configuration) { world in
            let scopes = ["UNDERSTORY_SCOPES": "openid order.read booking.read event.read experience.read marketing.read"]
            let skipped = try await world.run("sync", "--skip-resource", "marketing-consents", environment: scopes)
            #expect(skipped.status == 0, "\(skipped.output)")
            #expect(!skipped.output.contains("marketing-consents"), "\(skipped.output)")
            #expect(world.simulator.requestCounts().keys.filter { $0.hasPrefix("/v1/marketing-consents") }.isEmpty)
            #expect(try await world.query("SELECT count(*)::int AS n FROM understory.marketing_consents").rows[0]["n"].decode(Int.self) == 0)
            #expect(try await world.query("SELECT count(*)::int AS n FROM understory.bookings").rows[0]["n"].decode(Int.self) > 0)

            let synced = try await world.run("sync", environment: scopes)
            #expect(synced.status == 0, "\(synced.output)")
            let stored = try await world.query("SELECT count(*)::int AS n FROM understory.marketing_consents").rows[0]["n"].decode(Int.self)
            #expect(stored == world.simulator.truth().marketingConsents.count)
            let check = try await world.run("check", environment: scopes)
            #expect(check.output.contains("marketing.read granted"), "\(check.output)")
        }
    }
}
