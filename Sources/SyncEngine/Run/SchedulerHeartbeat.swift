import Foundation
import PostgresClient

/// A running scheduler's row in `understory.scheduler_heartbeats`.
///
/// The scheduler keeps one connection open holding the advisory lock
/// `understory-sync:scheduler:<host>:<pid>`; whoever can take that lock knows the process is gone
/// and removes its row, so `status` never shows a dead scheduler as running.
public final class SchedulerHeartbeat: Sendable {
    let connection: PostgresConnection
    let host: String
    let pid: Int

    static func lockName(host: String, pid: Int) -> String { "understory-sync:scheduler:\(host):\(pid)" }

    private init(connection: PostgresConnection, host: String, pid: Int) {
        self.connection = connection
        self.host = host
        self.pid = pid
    }

    /// Registers this process as a running scheduler.
    public static func start(
        database: PostgresConfiguration, cron: String, timeZone: TimeZone, nextFire: Date?, logger: Logger
    ) async throws -> SchedulerHeartbeat {
        let connection = try await PostgresConnection.connect(database, logger: logger)
        do {
            try await Schema.requireCurrent(on: connection)
            let host = ProcessInfo.processInfo.hostName
            let pid = Int(ProcessInfo.processInfo.processIdentifier)
            _ = try await connection.tryAdvisoryLock(lockName(host: host, pid: pid))
            try await removeDead(on: connection)
            try await connection.execute(
                """
                INSERT INTO understory.scheduler_heartbeats (host, pid, cron, timezone, next_fire_at) VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT (host, pid) DO UPDATE SET cron = excluded.cron, timezone = excluded.timezone,
                    started_at = now(), beat_at = now(), next_fire_at = excluded.next_fire_at
                """,
                [host, pid, cron, timeZone.identifier, nextFire]
            )
            return SchedulerHeartbeat(connection: connection, host: host, pid: pid)
        } catch {
            await connection.close()
            throw error
        }
    }

    /// Records when the next run is due.
    public func beat(nextFire: Date?) async throws {
        try await connection.execute(
            "UPDATE understory.scheduler_heartbeats SET beat_at = now(), next_fire_at = $3 WHERE host = $1 AND pid = $2",
            [host, pid, nextFire]
        )
    }

    /// Removes the row and closes the connection.
    public func stop() async {
        _ = try? await connection.execute("DELETE FROM understory.scheduler_heartbeats WHERE host = $1 AND pid = $2", [host, pid])
        await connection.close()
    }

    /// Deletes rows of schedulers whose process is gone (their lock is free).
    static func removeDead(on connection: PostgresConnection) async throws {
        let rows = try await connection.execute("SELECT host, pid FROM understory.scheduler_heartbeats").rows
        for row in rows {
            let host = try row["host"].decode(String.self), pid = try row["pid"].decode(Int.self)
            let name = lockName(host: host, pid: pid)
            guard try await connection.tryAdvisoryLock(name) else { continue }
            try await connection.execute("DELETE FROM understory.scheduler_heartbeats WHERE host = $1 AND pid = $2", [host, pid])
            try await connection.advisoryUnlock(name)
        }
    }
}

import Logging
