import Foundation
import Logging
import PostgresClient
import Synchronization

/// A running scheduler's row in `understory.scheduler_heartbeats`.
///
/// The scheduler keeps one connection open holding the advisory lock
/// `understory-sync:scheduler:<host>:<pid>`; whoever can take that lock knows the process is gone
/// and removes its row, so `status` never shows a dead scheduler as running. When that connection
/// is lost (a terminated backend, a restarted server), the next ``beat(nextFire:)`` opens a new
/// one, takes the lock again and re-registers; until it can, each beat fails and the next fire
/// time tries again.
public final class SchedulerHeartbeat: Sendable {
    private let connection: Mutex<PostgresConnection>
    let database: PostgresConfiguration
    let cron: String
    let timeZone: TimeZone
    let logger: Logger
    let host: String
    let pid: Int

    static func lockName(host: String, pid: Int) -> String { "understory-sync:scheduler:\(host):\(pid)" }

    private init(connection: PostgresConnection, database: PostgresConfiguration, cron: String, timeZone: TimeZone, logger: Logger, host: String, pid: Int) {
        self.connection = Mutex(connection)
        self.database = database
        self.cron = cron
        self.timeZone = timeZone
        self.logger = logger
        self.host = host
        self.pid = pid
    }

    /// Registers this process as a running scheduler.
    public static func start(
        database: PostgresConfiguration, cron: String, timeZone: TimeZone, nextFire: Date?, logger: Logger
    ) async throws -> SchedulerHeartbeat {
        let host = ProcessInfo.processInfo.hostName
        let pid = Int(ProcessInfo.processInfo.processIdentifier)
        let connection = try await register(database: database, cron: cron, timeZone: timeZone, nextFire: nextFire, host: host, pid: pid, logger: logger)
        return SchedulerHeartbeat(connection: connection, database: database, cron: cron, timeZone: timeZone, logger: logger, host: host, pid: pid)
    }

    /// A new connection holding this process's lock, its row written.
    private static func register(
        database: PostgresConfiguration, cron: String, timeZone: TimeZone, nextFire: Date?, host: String, pid: Int, logger: Logger
    ) async throws -> PostgresConnection {
        let connection = try await PostgresConnection.connect(database, logger: logger)
        do {
            try await Schema.requireCurrent(on: connection)
            _ = try await connection.tryAdvisoryLock(lockName(host: host, pid: pid))
            try await removeDead(on: connection)
            try await connection.execute(
                """
                INSERT INTO understory.scheduler_heartbeats (host, pid, cron, timezone, next_fire_at) VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT (host, pid) DO UPDATE SET cron = excluded.cron, timezone = excluded.timezone,
                    beat_at = now(), next_fire_at = excluded.next_fire_at
                """,
                [host, pid, cron, timeZone.identifier, nextFire]
            )
            return connection
        } catch {
            await connection.close()
            throw error
        }
    }

    /// Records when the next run is due; re-registers on a new connection if the old one was lost.
    public func beat(nextFire: Date?) async throws {
        let current = connection.withLock { $0 }
        do {
            try await current.execute(
                "UPDATE understory.scheduler_heartbeats SET beat_at = now(), next_fire_at = $3 WHERE host = $1 AND pid = $2",
                [host, pid, nextFire]
            )
        } catch let error as PostgresError where error.code == .connectionLost || error.code == .connectionClosed {
            logger.notice("the scheduler heartbeat's connection was lost; reconnecting", metadata: ["error": "\(error)"])
            await current.close()
            let fresh = try await Self.register(
                database: database, cron: cron, timeZone: timeZone, nextFire: nextFire, host: host, pid: pid, logger: logger
            )
            connection.withLock { $0 = fresh }
        }
    }

    /// Removes the row and closes the connection.
    public func stop() async {
        let current = connection.withLock { $0 }
        _ = try? await current.execute("DELETE FROM understory.scheduler_heartbeats WHERE host = $1 AND pid = $2", [host, pid])
        await current.close()
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
