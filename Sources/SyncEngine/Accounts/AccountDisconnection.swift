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

    /// Disconnects `companyID`. A missing or wrong `key` does not block it; `api` is only needed to revoke.
    public static func disconnect(
        _ companyID: String, database: PostgresConfiguration, key: TokenKey?, api: Result<UnderstoryConfiguration, any Error>,
        logger: Logger
    ) async throws -> Outcome {
        let token = try await PostgresConnection.withConnection(database, logger: logger) { connection in
            try await Schema.requireCurrent(on: connection)
            return try await AccountStore(connection: connection).disconnect(companyID, key: key)
        }
        guard let token else { return .deleted }
        do {
            let revoked = try await UnderstoryClient.withClient(try api.get(), logger: logger) {
                try await $0.tokens.revoke(refreshToken: token, logger: logger)
            }
            return revoked ? .revoked : .revocationUnsupported
        } catch {
            return .revocationFailed(error)
        }
    }
}
