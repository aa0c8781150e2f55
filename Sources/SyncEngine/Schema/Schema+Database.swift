import Logging
import PostgresClient

extension Schema {
    /// Applies pending migrations (`migrate`) on a connection of its own.
    public static func migrate(database: PostgresConfiguration, logger: Logger) async throws -> MigrationRunner.Outcome {
        try await PostgresConnection.withConnection(database, logger: logger) { try await migrate(on: $0, logger: logger) }
    }

    /// ``requireCurrent(on:)`` on a connection of its own.
    @discardableResult
    public static func requireCurrent(database: PostgresConfiguration, logger: Logger) async throws -> MigrationRunner.Status {
        try await PostgresConnection.withConnection(database, logger: logger) { try await requireCurrent(on: $0) }
    }
}
