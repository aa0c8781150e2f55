import Foundation
import SyncTestSupport
import Testing
import UnderstorySimulator

@Suite("schedule: the binary against the simulator and a real PostgreSQL")
struct ScheduleTests {
    @Test("SIGTERM during a scheduled run: it stops fetching, commits what it has, exits 0, run marked interrupted; the next sync completes")
    func sigtermDuringRun() async throws {
        try await CommandLineWorld.with { world in
            // Orders requests wait until released: the run is known to be under way, mid-traversal, when signalled.
            world.simulator.holdAPIRequests(pathPrefix: "/v1/orders")
            // @yearly with --run-now: one run at start, then a long wait.
            let process = try UnderstorySyncBinary.start(
                ["schedule", "--cron", "@yearly", "--run-now", "--events-past-days", "3650", "--batch-rows", "50"],
                environment: world.environment
            )
            #expect(try await eventually(within: .seconds(120)) {
                try await world.query("SELECT count(*) AS n FROM understory.sync_runs WHERE status = 'running'").rows[0]["n"].int ?? 0 > 0
                    && world.simulator.heldAPIRequests > 0
            })
            let during = try await world.run("status")
            #expect(during.stdout.contains("scheduler:") && during.stdout.contains("@yearly"), "\(during.output)")
            #expect(during.stdout.contains("running:"), "\(during.output)")
            process.signal(SIGTERM)
            let run = await UnderstorySyncBinary.finish(process)
            let after = try await world.run("status", "--json")
            #expect(after.stdout.contains("\"schedulers\" : [\n\n  ]") || !after.stdout.contains("@yearly"), "\(after.output)")
            #expect(run.status == 0, "\(run.output)")
            #expect(run.stderr.contains("scheduler stopped"), "\(run.stderr)")
            let statuses = try await world.query("SELECT string_agg(status, ',' ORDER BY id) AS s FROM understory.sync_runs").rows[0]["s"].string
            #expect(statuses == "interrupted", "\(run.output)")
            // Nothing half-written: the watermark of an interrupted traversal did not move.
            let watermarks = try await world.query("SELECT count(*) AS n FROM understory.sync_state WHERE resource = 'orders' AND watermark IS NOT NULL").rows[0]["n"].int
            #expect(watermarks == 0)
            world.simulator.releaseAPIRequests()
            let again = try await world.run("sync", "--events-past-days", "3650")
            #expect(again.status == 0, "\(again.output)")
            for resource in TruthCheck.defaultResources {
                let diff = try await TruthCheck.differences(simulator: world.simulator, database: world.database, resource: resource, table: resource.rawValue)
                #expect(diff.isEmpty, "\(resource): \(diff)")
            }
        }
    }

    // An invalid cron expression (exit 64 naming the field and position) is parsed in-process:
    // Tests/CommandParsingTests.
}
