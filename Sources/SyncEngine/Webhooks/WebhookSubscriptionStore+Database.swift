import Logging
import PostgresClient

extension WebhookSubscriptionStore {
    /// Runs `body` with the store on a connection of its own, closed afterwards.
    public static func with<T: Sendable>(
        database: PostgresConfiguration, logger: Logger, _ body: (WebhookSubscriptionStore) async throws -> T
    ) async throws -> T {
        try await PostgresConnection.withConnection(database, logger: logger) { try await body(WebhookSubscriptionStore(connection: $0)) }
    }
}
