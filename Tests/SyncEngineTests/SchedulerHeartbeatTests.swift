import Foundation
import Logging
import PostgresClient
import SyncEngine
import SyncTestSupport
import Testing

@Suite("the scheduler heartbeat survives a lost connection")
struct SchedulerHeartbeatTests {
    @Test("after its backend is terminated the next beat reconnects, takes the lock again and keeps the row; status does not drop it as dead")
    func reconnectsAfterTerminatedBackend() async throws {
        try await TestDatabase.withFreshDatabase { database in
            let logger = quietLogger
            try await PostgresConnection.withConnection(database, logger: logger) { _ = try await Schema.migrate(on: $0, logger: logger) }
            let heartbeat = try await SchedulerHeartbeat.start(database: database, cron: "*/5 * * * *", timeZone: .gmt, nextFire: nil, logger: logger)
            try await PostgresConnection.withConnection(database, logger: logger) { connection in
                let terminated = try await connection.execute(
                    "SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
                ).rows[0]["n"].decode(Int.self)
                #expect(terminated == 1)
                // pg_terminate_backend only signals: wait until the backend is gone, or the next beat
                // could still run on it (and not reconnect) before it dies.
                let gone = try await eventually {
                    try await connection.execute(
                        "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    ).rows[0]["n"].decode(Int.self) == 0
                }
                #expect(gone)
            }
            let next = Date(timeIntervalSince1970: 2_000_000_000)
            try await heartbeat.beat(nextFire: next)
            try await PostgresConnection.withConnection(database, logger: logger) { connection in
                // What `status` does: rows whose lock is free belong to dead schedulers and go.
                _ = try await StatusReport.load(from: connection)
                let rows = try await connection.execute("SELECT next_fire_at FROM understory.scheduler_heartbeats").rows
                #expect(rows.count == 1)
                #expect(try rows.first?["next_fire_at"].decode(Date.self) == next)
            }
            await heartbeat.stop()
            #expect(try await PostgresConnection.withConnection(database, logger: logger) {
                try await $0.execute("SELECT count(*) AS n FROM understory.scheduler_heartbeats").rows[0]["n"].decode(Int.self)
            } == 0)
        }
    }
}
