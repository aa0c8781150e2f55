import Foundation
import PostgresClient
import SyncTestSupport
import Testing
import UnderstorySimulator

/// Issue 11 §5 through the binary: no run hangs, no run leaks.
@Suite("command line: no run hangs, no run leaks")
struct RobustnessCommandTests {
    /// Holds `LOCK TABLE understory.bookings IN ACCESS EXCLUSIVE MODE` while `body` runs.
    static func withBookingsLocked<T>(_ world: CommandLineWorld, _ body: () async throws -> T) async throws -> T {
        try await PostgresConnection.withConnection(world.database, logger: quietLogger) { holder in
            try await holder.execute("SET application_name = 'lock-holder-e2e'")
            try await holder.execute("BEGIN")
            try await holder.execute("LOCK TABLE understory.bookings IN ACCESS EXCLUSIVE MODE")
            do {
                let result = try await body()
                try await holder.execute("ROLLBACK")
                return result
            } catch {
                _ = try? await holder.execute("ROLLBACK")
                throw error
            }
        }
    }

    @Test("table locked by another session: exit 75 naming the table and the holder, the other resources exact (flag, and PGOPTIONS winning over the variable)")
    func lockedTable() async throws {
        try await CommandLineWorld.with { world in
            let (flagged, optioned) = try await Self.withBookingsLocked(world) {
                let flagged = try await world.run("sync", "--events-past-days", "3650", "--lock-timeout", "1")
                // The user's own lock_timeout in PGOPTIONS beats UNDERSTORY_LOCK_TIMEOUT (10 min here).
                let optioned = try await world.run(
                    "sync", "--resource", "bookings",
                    environment: ["PGOPTIONS": "-c lock_timeout=1s", "UNDERSTORY_LOCK_TIMEOUT": "600"]
                )
                return (flagged, optioned)
            }
            #expect(flagged.status == 75, "\(flagged.output)")
            #expect(flagged.stderr.contains("understory.bookings"), "\(flagged.stderr)")
            #expect(flagged.stderr.contains("lock-holder-e2e"), "\(flagged.stderr)")
            #expect(flagged.stderr.split(separator: "\n").filter { $0.hasPrefix("understory-sync:") }.count == 1, "one line: \(flagged.stderr)")
            for resource in [SimulatorResource.orders, .events, .experiences] {
                let diff = try await TruthCheck.differences(simulator: world.simulator, database: world.database, resource: resource, table: resource.rawValue)
                #expect(diff.isEmpty, "\(resource): \(diff)")
            }
            #expect(optioned.status == 75, "\(optioned.output)")
            #expect(optioned.stderr.contains("lock_timeout (1s)"), "\(optioned.stderr)")
            let again = try await world.run("sync", "--events-past-days", "3650")
            #expect(again.status == 0, "\(again.output)")
        }
    }

    @Test("a malformed DATABASE_URL never prints its password", arguments: [
        ("postgresql://u:s3cr3t@[bad", Int32(78)),
        ("postgresql://u:s3cr3t@host:notaport/db", Int32(69)),
        ("password=s3cr3t host='unterminated", Int32(78)),
        ("password=s3cr3t host=127.0.0.1 port=1 garbage", Int32(78)),
    ])
    func malformedDatabaseURL(_ url: String, _ status: Int32) async throws {
        for command in [["sync"], ["migrate"], ["status"]] {
            let run = try await UnderstorySyncBinary.run(
                command + ["-v"],
                environment: [
                    "DATABASE_URL": url, "UNDERSTORY_CLIENT_ID": "x", "UNDERSTORY_CLIENT_SECRET": "y",
                    "UNDERSTORY_API_URL": "http://127.0.0.1:1", "UNDERSTORY_AUTH_URL": "http://127.0.0.1:1",
                ]
            )
            #expect(run.status != 0, "\(command): \(run.output)")
            #expect(!run.output.contains("s3cr3t"), "\(command): \(run.output)")
            if command == ["migrate"] { #expect(run.status == status, "\(run.output)") }
        }
    }

    @Test("401 UNAUTHORIZED on a list with a fresh token: exit 77, naming the scope and pointing to check")
    func unauthorizedMissingScope() async throws {
        var account = CommandLineWorld.account()
        account.faults.missingScopeUnauthorized = true
        account.faults.tokenResponseOmitsScope = true  // so the 401 is the only sign of the missing scope
        try await CommandLineWorld.with(account) { world in
            let run = try await world.run(
                "sync", "--resource", "orders",
                environment: ["UNDERSTORY_CLIENT_ID": "sim-bookings-only", "UNDERSTORY_CLIENT_SECRET": "bookings-only-~secret", "UNDERSTORY_SCOPES": "openid booking.read"]
            )
            #expect(run.status == 77, "\(run.output)")
            #expect(run.stderr.contains("order.read") && run.stderr.contains("understory-sync check"), "\(run.stderr)")
        }
    }

    @Test("SIGTERM during a 60 s wait after a 429: exit 0 without waiting it out, the run interrupted")
    func sigtermDuringRateLimitWait() async throws {
        try await CommandLineWorld.with { world in
            world.simulator.updateFaults { $0.rateLimitEveryN = 2; $0.retryAfterSeconds = nil }
            var environment = world.environment
            environment["UNDERSTORY_RATE_LIMIT_WAIT"] = "60"
            let process = try UnderstorySyncBinary.start(["sync", "--resource", "bookings"], environment: environment)
            #expect(try await eventually(within: .seconds(120)) { world.simulator.requestCount(pathPrefix: "/v1/bookings", status: 429) >= 1 })
            process.signal(SIGTERM)
            let run = await UnderstorySyncBinary.finish(process)
            #expect(run.status == 0, "\(run.output)")
            #expect(world.simulator.requestCount(pathPrefix: "/v1/bookings") == 1, "the 60 s wait was not sat out")
            let status = try await world.query("SELECT status FROM understory.sync_runs").rows[0]["status"].string
            #expect(status == "interrupted")
        }
    }
}
