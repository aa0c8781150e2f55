import Logging
import PostgresClient
import TimeSource
import UnderstoryAPI

/// At most `size` PostgreSQL connections lent to request handlers that each run one autocommitted
/// statement; a handler that finds them all lent waits in line (first come, first served) instead
/// of opening another, so no load on the endpoint can open more than `size` sessions.
///
/// A connection whose statement failed is closed and its place given to the next in line. A
/// connection lost mid-statement (a terminated backend, a restarted server) is replaced and the
/// statement run once more on the new one: every statement lent here is idempotent (a health
/// probe, a metrics read, an inbox insert deduplicated by `webhook-id`). After a failed connect,
/// further connects wait out a back-off (doubling from 100 ms to 5 s) and meanwhile fail at once,
/// so an unreachable server is not hammered and `/healthz` answers 503 promptly.
actor ConnectionRing {
    private let configuration: PostgresConfiguration
    private let logger: Logger
    private let clock: any TimeSource
    let size: Int
    private var idle: [PostgresConnection] = []
    /// Connections lent, idle or being opened.
    private var open = 0
    /// Handlers waiting: resumed with an idle connection, or with nil meaning "open one, its place is yours".
    private var waiters: [CheckedContinuation<PostgresConnection?, Never>] = []
    private var failedConnects = 0
    private var lastConnectError: (any Error)?
    private var retryAt: ContinuousClock.Instant?
    private var closed = false

    init(configuration: PostgresConfiguration, size: Int, clock: any TimeSource = .system, logger: Logger) {
        self.configuration = configuration
        self.size = max(1, size)
        self.clock = clock
        self.logger = logger
    }

    /// The wait before connect attempt `n + 1` after `n` consecutive failures: 100 ms doubling, capped at 5 s.
    static func backoff(afterFailures failures: Int) -> Duration {
        guard failures > 0 else { return .zero }
        return min(.milliseconds(100) * (1 << min(failures - 1, 6)), .seconds(5))
    }

    private func checkout() async throws -> PostgresConnection {
        if closed { throw PostgresError(code: .connectionClosed, message: "the server is stopping") }
        if let connection = idle.popLast() { return connection }
        if open < size {
            open += 1
            return try await connect()
        }
        if let connection = await withCheckedContinuation({ waiters.append($0) }) { return connection }
        return try await connect()
    }

    /// Opens a connection in a place already counted in `open`; on failure gives the place up.
    private func connect() async throws -> PostgresConnection {
        if closed {
            release()
            throw PostgresError(code: .connectionClosed, message: "the server is stopping")
        }
        if let retryAt, clock.now < retryAt, let lastConnectError {
            release()
            throw lastConnectError
        }
        do {
            let connection = try await PostgresConnection.connect(configuration, logger: logger)
            failedConnects = 0
            retryAt = nil
            lastConnectError = nil
            return connection
        } catch {
            failedConnects += 1
            lastConnectError = error
            retryAt = clock.now + Self.backoff(afterFailures: failedConnects)
            release()
            throw error
        }
    }

    /// Gives up a place: the next in line may open a connection in it.
    private func release() {
        if !waiters.isEmpty {
            waiters.removeFirst().resume(returning: nil)
        } else {
            open -= 1
        }
    }

    private func checkin(_ connection: PostgresConnection, broken: Bool) async {
        if broken || closed {
            await connection.close()
            release()
        } else if !waiters.isEmpty {
            waiters.removeFirst().resume(returning: connection)
        } else {
            idle.append(connection)
        }
    }

    /// Runs `body` on a connection of its own while it runs; a failure closes that connection, and
    /// a lost connection is replaced and `body` run once more.
    nonisolated func run<T: Sendable>(_ body: @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        for attempt in 1...2 {
            let connection = try await checkout()
            do {
                let result = try await body(connection)
                await checkin(connection, broken: false)
                return result
            } catch let error as PostgresError where attempt == 1 && [.connectionLost, .connectionClosed].contains(error.code) {
                await checkin(connection, broken: true)
                logger.notice("a PostgreSQL connection was lost; reconnecting", metadata: ["error": "\(error)"])
            } catch {
                await checkin(connection, broken: true)
                throw error
            }
        }
        preconditionFailure("unreachable: the second attempt returns or throws")
    }

    /// Connections open now (lent, idle or being opened), for tests.
    var openCount: Int { open }

    func closeAll() async {
        closed = true
        for connection in idle { await connection.close() }
        open -= idle.count
        idle = []
    }
}
