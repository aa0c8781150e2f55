import Foundation
import PostgresClient
import SyncEngine
import SyncTestSupport
import Testing
import UnderstoryAPI
import UnderstorySimulator

@Suite("A fleet as operators run it: worker processes and sync --all-accounts --claim")
struct WorkerCommandTests {
    /// The primary company plus seven numbered ones, each a few records.
    static func configuration() -> SimulatorConfiguration {
        var configuration = SimulatorConfiguration.smallAccount(seed: 31, bookings: 15, orders: 5, events: 4, experiences: 3, futureDays: 100)
        configuration.additionalCompanies = SimulatorCompany.numbered(7)
        return configuration
    }

    /// Stores every simulated company as a connected account (bulk consents, sealed with the CLI's key).
    static func connectAll(_ world: CommandLineWorld, scopes: Set<String> = SimulatorClient.allReadScopes) async throws -> [String] {
        let key = try TokenKey(text: AccountsCommandTests.tokenKey)
        let grants = world.simulator.bulkConnect(scopes: scopes)
        try await PostgresConnection.withConnection(world.database, logger: quietLogger) { connection in
            for grant in grants {
                try await AccountStore(connection: connection).saveGranted(
                    companyID: grant.companyID, companyName: nil, clientID: world.simulator.appID, scopes: grant.scopes,
                    refreshToken: Secret(grant.refreshToken), key: key
                )
            }
        }
        return grants.map(\.companyID)
    }

    static func count(_ world: CommandLineWorld, _ sql: String) async -> Int {
        (try? await world.query(sql).rows[0]["n"].int) ?? -1
    }

    @Test("two `sync --all-accounts --claim` processes started together split the accounts, each synced once, none twice at once")
    func claimPassesSplit() async throws {
        try await CommandLineWorld.with(Self.configuration()) { world in
            let ids = try await Self.connectAll(world)
            let env = world.environment.merging(AccountsCommandTests.appEnvironment(world)) { $1 }
            let arguments = ["sync", "--all-accounts", "--claim", "--concurrency", "2", "--every", "1h", "--events-past-days", "3650"]
            async let first = UnderstorySyncBinary.run(arguments, environment: env)
            async let second = UnderstorySyncBinary.run(arguments, environment: env)
            let (a, b) = try await (first, second)
            #expect(a.status == 0, "\(a.output)")
            #expect(b.status == 0, "\(b.output)")
            let runs = try await world.query(
                "SELECT company_id, count(*) AS n, count(DISTINCT arguments->>'worker') AS workers FROM understory.sync_runs WHERE status = 'succeeded' GROUP BY company_id"
            ).rows
            #expect(runs.count == ids.count)
            #expect(runs.allSatisfy { $0["n"].int == 1 })
            #expect(await Self.count(world, "SELECT count(DISTINCT arguments->>'worker') AS n FROM understory.sync_runs") >= 1)
            for id in ids {
                let diff = try await TruthCheck.differences(simulator: world.simulator, database: world.database, resource: .orders, table: "orders", company: id)
                #expect(diff.isEmpty, "\(id): \(diff)")
            }
            // Nothing is due now: a third pass does nothing and says so.
            let third = try await UnderstorySyncBinary.run(arguments, environment: env)
            #expect(third.status == 0 && third.stdout.contains("accounts: none due"), "\(third.output)")

            let status = try await world.run("status", environment: env)
            #expect(status.status == 0, "\(status.output)")
            #expect(status.stdout.contains("fleet: 0 due, 0 overdue (> 2× interval), 0 leased, 0 failing, \(ids.count) accounts"), "\(status.stdout)")
        }
    }

    @Test("a worker killed with -9 loses its accounts when its leases expire; `sync --claim` then finishes them; SIGTERM stops a worker cleanly")
    func killedWorkerIsTakenOver() async throws {
        try await CommandLineWorld.with(Self.configuration()) { world in
            let ids = try await Self.connectAll(world)
            let env = world.environment.merging(AccountsCommandTests.appEnvironment(world)) { $1 }
            // Bookings pages are held: the worker is caught mid-sync, its runs started. Its leases last an
            // hour, so they cannot expire on the wall clock however slowly this test runs (expiry is set below).
            world.simulator.holdAPIRequests(pathPrefix: "/v1/bookings")
            let process = try UnderstorySyncBinary.start(
                ["worker", "--concurrency", "3", "--lease", "3600", "--every", "1h", "--events-past-days", "3650", "-q"], environment: env
            )
            let leased = try await eventually {
                let running = await Self.count(world, "SELECT count(*) AS n FROM understory.sync_runs WHERE status = 'running'")
                return running > 0 && world.simulator.heldAPIRequests > 0
            }
            #expect(leased, "the worker should have claimed accounts and started syncing")
            process.signal(SIGKILL)
            _ = await UnderstorySyncBinary.finish(process)
            let orphaned = await Self.count(world, "SELECT count(*) AS n FROM understory.accounts WHERE lease_owner IS NOT NULL")
            #expect(orphaned > 0, "a killed worker releases nothing")
            world.simulator.releaseAPIRequests()

            let arguments = ["sync", "--all-accounts", "--claim", "--every", "1h", "--events-past-days", "3650"]
            let before = try await UnderstorySyncBinary.run(arguments, environment: env)
            #expect(before.status == 0, "\(before.output)")
            #expect(await Self.count(world, "SELECT count(*) AS n FROM understory.accounts WHERE last_success_at IS NULL") == orphaned, "leased accounts wait")

            // The leases' expiry passes (set here rather than waited for).
            try await world.query("UPDATE understory.accounts SET lease_expires_at = now() - interval '1 second' WHERE lease_owner IS NOT NULL")
            let after = try await UnderstorySyncBinary.run(arguments, environment: env)
            #expect(after.status == 0, "\(after.output)")
            #expect(await Self.count(world, "SELECT count(*) AS n FROM understory.accounts WHERE last_success_at IS NULL OR lease_owner IS NOT NULL") == 0)
            #expect(await Self.count(world, "SELECT count(*) AS n FROM understory.sync_runs WHERE status = 'abandoned'") >= 1, "the killed runs are marked abandoned")
            for id in ids {
                let diff = try await TruthCheck.differences(simulator: world.simulator, database: world.database, resource: .bookings, table: "bookings", company: id)
                #expect(diff.isEmpty, "\(id): \(diff)")
            }

            // A worker with every account due again stops on SIGTERM with exit 0 and holds no lease afterwards.
            try await world.query("UPDATE understory.accounts SET next_sync_at = now()")
            let worker = try UnderstorySyncBinary.start(
                ["worker", "--every", "1h", "--events-past-days", "3650", "-q"], environment: env
            )
            let synced = try await eventually(within: .seconds(120)) {
                await Self.count(world, "SELECT count(*) AS n FROM understory.accounts WHERE next_sync_at > now() + interval '30 minutes'") == ids.count
            }
            #expect(synced)
            worker.signal(SIGTERM)
            let stopped = await UnderstorySyncBinary.finish(worker)
            #expect(stopped.status == 0, "\(stopped.output)")
            #expect(await Self.count(world, "SELECT count(*) AS n FROM understory.accounts WHERE lease_owner IS NOT NULL") == 0)
        }
    }

    @Test("worker --metrics-port serves /healthz and /metrics (sync runs by status) while it syncs; SIGTERM exits 0 and releases every lease")
    func workerMetricsPort() async throws {
        try await CommandLineWorld.with(Self.configuration()) { world in
            let ids = try await Self.connectAll(world)
            let env = AccountsCommandTests.appEnvironment(world)
            let worker = try await ServeProcess.start(
                world, environment: env, arguments: ["worker", "--every", "1h", "--events-past-days", "3650", "--metrics-port", "0", "-q"],
                prefix: "metrics listening on "
            )
            let synced = try await eventually {
                await Self.count(world, "SELECT count(*) AS n FROM understory.accounts WHERE last_success_at IS NOT NULL") == ids.count
            }
            #expect(synced, "\(worker.stderr.suffix(2000))")
            let health = try await ServeTests().httpGet("http://127.0.0.1:\(worker.port)/healthz")
            #expect(health.status == 200)
            let metrics = try await ServeTests().httpGet("http://127.0.0.1:\(worker.port)/metrics")
            #expect(metrics.body.contains("understory_sync_runs_last_day{status=\"succeeded\"} \(ids.count)"), "\(metrics.body)")
            // The status page beside them: in fleet mode it says who holds which lease.
            let page = try await ServeTests().httpGet("http://127.0.0.1:\(worker.port)/")
            #expect(page.status == 200)
            #expect(page.body.contains("<section id=\"leases\">") && ids.allSatisfy(page.body.contains), "\(page.body.prefix(2000))")
            #expect(await worker.stop() == 0, "\(worker.stderr.suffix(1000))")
            #expect(await Self.count(world, "SELECT count(*) AS n FROM understory.accounts WHERE lease_owner IS NOT NULL") == 0)
        }
    }

    // Usage errors (--claim without --all-accounts, a malformed --every) are parsed in-process:
    // Tests/CommandParsingTests.
}
