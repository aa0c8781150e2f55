import Logging
import PostgresClient
import UnderstoryAPI

/// `accounts disconnect`: the account's refresh token is deleted here (the account stays, as
/// `disconnected`, its rows kept), then revoked at Understory when the key could open it.
public enum AccountDisconnection {
    /// What became of the refresh token.
    public enum Outcome: Sendable {
        /// Deleted here; there was no token the key could open, so nothing to revoke.
        case deleted
        /// Deleted here and revoked at Understory.
        case revoked
        /// Deleted here; the issuer offers no revocation endpoint.
        case revocationUnsupported
        /// Deleted here; revoking it failed (or the API could not be configured).
        case revocationFailed(any Error)
    }

    /// What became of the account's webhook subscriptions.
    public struct Subscriptions: Sendable {
        /// Deleted in the API (or already gone there) and here.
        public var deleted: [String] = []
        /// Deleted here but not in the API (no key or API configuration, or the API refused): the
        /// error says why; delete them in Understory Backoffice. Nil when all went.
        public var apiError: (any Error)?
        public var notDeletedInAPI: [String] = []
    }

    /// Disconnects `companyID`: its webhook subscriptions are deleted in the API (with the account's
    /// token, while it still works) and here, then its refresh token is deleted and revoked. A missing
    /// or wrong `key` does not block it; `api` is only needed to delete subscriptions and revoke.
    public static func disconnect(
        _ companyID: String, database: PostgresConfiguration, key: TokenKey?, api: Result<UnderstoryConfiguration, any Error>,
        logger: Logger
    ) async throws -> (token: Outcome, subscriptions: Subscriptions) {
        let subscriptions = try await deleteSubscriptions(companyID, database: database, key: key, api: api, logger: logger)
        let token = try await PostgresConnection.withConnection(database, logger: logger) { connection in
            try await Schema.requireCurrent(on: connection)
            return try await AccountStore(connection: connection).disconnect(companyID, key: key)
        }
        guard let token else { return (.deleted, subscriptions) }
        do {
            let revoked = try await UnderstoryClient.withClient(try api.get(), logger: logger) {
                try await $0.tokens.revoke(refreshToken: token, logger: logger)
            }
            return (revoked ? .revoked : .revocationUnsupported, subscriptions)
        } catch {
            return (.revocationFailed(error), subscriptions)
        }
    }

    /// Deletes the stored subscriptions of `companyID` in the API (a 404 counts as deleted) and
    /// then here, whatever the API said: `serve` stops accepting them at its next reload.
    static func deleteSubscriptions(
        _ companyID: String, database: PostgresConfiguration, key: TokenKey?, api: Result<UnderstoryConfiguration, any Error>, logger: Logger
    ) async throws -> Subscriptions {
        let rows = try await WebhookSubscriptionStore.with(database: database, logger: logger) { try await $0.list(companyID: companyID) }
        var result = Subscriptions()
        let remote = rows.filter { $0.state != WebhookSubscriptionStore.pendingState }.map(\.id)
        if !remote.isEmpty {
            do {
                guard let key else { throw SyncError(.tokenKeyInvalid, "\(TokenKey.variable) is not set: the account's token cannot be used") }
                var configuration = try api.get()
                for scope in ["webhook.read", "webhook.write"] where !configuration.scopes.contains(scope) { configuration.scopes.append(scope) }
                try await AccountSync.with(database: database, api: configuration, key: key, logger: logger) { sync in
                    let client = try await sync.activeClient(for: companyID)
                    for id in remote {
                        do {
                            try await client.deleteWebhookSubscription(id: id, logger: logger)
                        } catch let error as UnderstoryAPIError where error.code == .notFound {}
                        result.deleted.append(id)
                    }
                }
            } catch {
                result.apiError = error
                result.notDeletedInAPI = remote.filter { !result.deleted.contains($0) }
            }
        }
        try await WebhookSubscriptionStore.with(database: database, logger: logger) { try await $0.deleteAll(companyID: companyID) }
        return result
    }
}
