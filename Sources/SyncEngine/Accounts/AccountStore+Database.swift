import Logging
import PostgresClient

extension AccountStore {
    /// Every account (`accounts list`), read on a connection of its own once the schema is current.
    public static func list(database: PostgresConfiguration, logger: Logger) async throws -> [Account] {
        try await PostgresConnection.withConnection(database, logger: logger) { connection in
            try await Schema.requireCurrent(on: connection)
            return try await AccountStore(connection: connection).list()
        }
    }
}
