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
}
