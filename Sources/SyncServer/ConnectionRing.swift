import Logging
import PostgresClient

/// A few PostgreSQL connections shared round-robin by request handlers that each run one
/// autocommitted statement (statements on one connection queue up; none holds a transaction).
/// A connection whose statement failed is replaced on next use.
actor ConnectionRing {
    private let configuration: PostgresConfiguration
    private let logger: Logger
    private var connections: [PostgresConnection?]
    private var next = 0

    init(configuration: PostgresConfiguration, size: Int, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.connections = Array(repeating: nil, count: max(1, size))
    }

    private func checkout() async throws -> (Int, PostgresConnection) {
        let slot = next
        next = (next + 1) % connections.count
        if let connection = connections[slot] { return (slot, connection) }
        let connection = try await PostgresConnection.connect(configuration, logger: logger)
        connections[slot] = connection
        return (slot, connection)
    }

    private func discard(_ slot: Int, _ connection: PostgresConnection) async {
        guard connections[slot] === connection else { return }
        connections[slot] = nil
        await connection.close()
    }

    /// Runs `body` on one of the connections; a failure drops that connection.
    nonisolated func run<T: Sendable>(_ body: @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let (slot, connection) = try await checkout()
        do {
            return try await body(connection)
        } catch {
            await discard(slot, connection)
            throw error
        }
    }

    func closeAll() async {
        for case let connection? in connections { await connection.close() }
        connections = connections.map { _ in nil }
    }
}
