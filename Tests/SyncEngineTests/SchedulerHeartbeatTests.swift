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
                // The heartbeat's session is the one holding its advisory lock (the migration's
                // session may still be exiting, so "every other session" would count that too).
                let holder = try await connection.execute(
                    """
                    SELECT l.pid FROM pg_locks l JOIN pg_database d ON d.oid = l.database
                    WHERE l.locktype = 'advisory' AND l.granted AND d.datname = current_database()
                    """
                ).rows.map { try $0["pid"].decode(Int.self) }
                #expect(holder.count == 1, "one session holds the heartbeat's lock: \(holder)")
                let pid = try #require(holder.first)
                _ = try await connection.execute("SELECT pg_terminate_backend($1)", [pid])
                // pg_terminate_backend only signals: wait until the backend is gone, or the next beat
                // could still run on it (and not reconnect) before it dies.
                let gone = try await eventually {
                    try await connection.execute("SELECT count(*) AS n FROM pg_stat_activity WHERE pid = $1", [pid]).rows[0]["n"].decode(Int.self) == 0
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
