import Foundation
import PostgresClient
import SyncTestSupport
import Testing
import UnderstorySimulator

@Suite("understory-sync as a user runs it")
struct CommandLineTests {
    @Test("migrate applies the schema once, then has nothing to apply")
    func migrateTwice() async throws {
        try await CommandLineWorld.with(migrated: false) { world in
            let first = try await world.run("migrate")
            #expect(first.status == 0)
            #expect(first.stdout.contains("applied 0001_initial.sql"))
            let second = try await world.run("migrate")
            #expect(second.status == 0)
            #expect(second.stdout.contains("nothing to apply"))
            #expect(!second.stdout.contains("applied 0001"))
        }
    }

    @Test("sync, then status shows every resource with its rows; status --json parses")
    func syncAndStatus() async throws {
        try await CommandLineWorld.with { world in
            let sync = try await world.run("sync", "--events-past-days", "3650")
            #expect(sync.status == 0, "\(sync.output)")
            #expect(sync.stdout.contains("succeeded"))
            #expect(sync.stdout.contains("bookings"))
            let status = try await world.run("status")
            #expect(status.status == 0)
            #expect(status.stdout.contains("bookings"))
            #expect(status.stdout.contains("300"))
            let json = try await world.run("status", "--json")
            #expect(json.status == 0)
            let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
            let resources = object?["resources"] as? [[String: Any]]
            // The five synced (availability too), and marketing consents skipped (the key lacks marketing.read) with the scope to tick.
            #expect(resources?.count == 6)
            let consents = resources?.first { $0["resource"] as? String == "marketing-consents" }
            #expect(consents?["skipped_scope"] as? String == "marketing.read", "\(json.stdout)")
            #expect(status.stdout.contains("marketing-consents skipped since") && status.stdout.contains("marketing.read"), "\(status.stdout)")
            let inbox = object?["webhook_inbox"] as? [String: Any]
            #expect(inbox?["pending"] as? Int == 0 && inbox?["parked"] as? Int == 0, "\(json.stdout)")
            let diff = try await TruthCheck.differences(simulator: world.simulator, database: world.database, resource: .bookings, table: "bookings")
            #expect(diff.isEmpty, "\(diff)")
        }
    }

    @Test("a wrong secret exits 77 with one line on stderr, and the secret appears nowhere")
    func wrongSecret() async throws {
        try await CommandLineWorld.with { world in
            let secret = "not-the-secret-~\(UUID().uuidString)"
            let run = try await world.run("sync", environment: ["UNDERSTORY_CLIENT_SECRET": secret])
            #expect(run.status == 77, "\(run.output)")
            #expect(run.stderr.contains("authentication failed"))
            #expect(!run.output.contains(secret))
            let runs = try await world.query("SELECT coalesce(string_agg(coalesce(error, '') || arguments::text, ' '), '') AS t FROM understory.sync_runs")
            #expect(!(runs.rows[0]["t"].string ?? "").contains(secret))
            let check = try await world.run("check", environment: ["UNDERSTORY_CLIENT_SECRET": secret])
            #expect(check.status == 77)
            #expect(!check.output.contains(secret))
        }
    }

    @Test("a database that is down exits 69; a missing variable or an unmigrated schema exits 78")
    func configurationAndAvailability() async throws {
        try await CommandLineWorld.with(migrated: false) { world in
            let down = try await world.run("sync", environment: ["DATABASE_URL": "postgresql://nobody:pw@127.0.0.1:1/none?connect_timeout=2"])
            #expect(down.status == 69, "\(down.output)")
            #expect(down.stderr.contains("cannot connect to PostgreSQL"))
            #expect(!down.output.contains(":pw@"))

            let unmigrated = try await world.run("sync")
            #expect(unmigrated.status == 78, "\(unmigrated.output)")
            #expect(unmigrated.stderr.contains("understory-sync migrate"))

            let missing = try await world.run("sync", environment: ["UNDERSTORY_CLIENT_ID": ""])
            #expect(missing.status == 78, "\(missing.output)")
            #expect(missing.stderr.contains("UNDERSTORY_CLIENT_ID"))

        }
    }

    @Test("two syncs at once: the second exits 75 naming the resource; data intact")
    func concurrentRuns() async throws {
        try await CommandLineWorld.with { world in
            // The first run's bookings requests wait until released: it holds its locks as long as the test needs.
            world.simulator.holdAPIRequests(pathPrefix: "/v1/bookings")
            let first = try UnderstorySyncBinary.start(["sync", "--events-past-days", "3650"], environment: world.environment)
            #expect(try await eventually(within: .seconds(120)) {
                try await world.query("SELECT count(*) AS n FROM understory.sync_runs").rows[0]["n"].int ?? 0 > 0 && world.simulator.heldAPIRequests > 0
            })
            let second = try await world.run("sync")
            #expect(second.status == 75, "\(second.output)")
            #expect(second.stderr.contains("already syncing"))
            world.simulator.releaseAPIRequests()
            let firstRun = await UnderstorySyncBinary.finish(first)
            #expect(firstRun.status == 0, "\(firstRun.output)")
            for resource in [SimulatorResource.bookings, .orders] {
                let diff = try await TruthCheck.differences(simulator: world.simulator, database: world.database, resource: resource, table: resource.rawValue)
                #expect(diff.isEmpty, "\(resource): \(diff)")
            }
        }
    }

    /// How a sync is stopped mid-run: by kill -9 (the next run finds it dead and marks it
    /// abandoned) or by SIGTERM (it commits what it has, marks itself interrupted and exits 0).
    enum Stop: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case kill = "kill -9"
        case terminate = "SIGTERM"

        var signal: Int32 { self == .kill ? SIGKILL : SIGTERM }
        /// The stopped run's status once the next run has succeeded.
        var runStatus: String { self == .kill ? "abandoned" : "interrupted" }
        var testDescription: String { rawValue }
    }

    @Test(
        "a sync stopped mid-run, then sync: equal to the truth, no duplicates, committed pages kept, the stopped run marked",
        arguments: Stop.allCases
    )
    func stoppedMidSync(_ stop: Stop) async throws {
        var account = CommandLineWorld.account()
        account.orders = 300
        try await CommandLineWorld.with(account) { world in
            // Orders commit a batch once the next one is complete (its children are fetched meanwhile):
            // two pages let the first batch commit; the run waits at the request for the third, stopped there.
            world.simulator.holdAPIRequests(path: "/v1/orders", passing: 2)
            let process = try UnderstorySyncBinary.start(["sync", "--events-past-days", "3650", "--batch-rows", "50"], environment: world.environment)
            // Stops waiting early if the run ends on its own; its output then says why.
            let held = try await eventually {
                try await world.query("SELECT count(*) AS n FROM understory.orders").rows[0]["n"].int ?? 0 >= 1 && world.simulator.heldAPIRequests > 0
                    || !process.isRunning
            } && process.isRunning
            process.signal(stop.signal)
            let stopped = await UnderstorySyncBinary.finish(process)
            #expect(held, "the run never sat at the held orders request: \(stopped.output.suffix(2000))")
            switch stop {
            case .kill:
                #expect(stopped.status != 0)
            case .terminate:
                #expect(stopped.status == 0, "\(stopped.output)")
                #expect(stopped.stderr.contains("stopped by a signal"), "\(stopped.stderr)")
                #expect(try await world.query("SELECT status FROM understory.sync_runs").rows[0]["status"].string == "interrupted")
            }
            #expect(try await world.query("SELECT count(*) AS n FROM understory.orders").rows[0]["n"].int ?? 0 >= 1, "committed pages kept")
            world.simulator.releaseAPIRequests()
            let again = try await world.run("sync", "--events-past-days", "3650")
            #expect(again.status == 0, "\(again.output)")
            if stop == .kill { #expect(again.stdout.contains("abandoned"), "\(again.output)") }
            for resource in TruthCheck.defaultResources {
                let diff = try await TruthCheck.differences(simulator: world.simulator, database: world.database, resource: resource, table: resource.rawValue)
                #expect(diff.isEmpty, "\(resource): \(diff)")
            }
            let duplicates = try await world.query("SELECT count(*) - count(DISTINCT (order_id, line_number)) AS d FROM understory.order_line_items")
            #expect(duplicates.rows[0]["d"].int == 0)
            let statuses = try await world.query("SELECT string_agg(status, ',' ORDER BY id) AS s FROM understory.sync_runs").rows[0]["s"].string
            #expect(statuses == "\(stop.runStatus),succeeded")
        }
    }

    // Usage errors and --help are parsed and rendered in-process: Tests/CommandParsingTests.
}
