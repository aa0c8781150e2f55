import Logging
import PostgresClient
import UnderstoryAPI

/// One account's refresh token in `understory.accounts`, as the API client's ``RefreshTokenStore``.
///
/// Each refresh, on its own connection:
/// 1. takes the account's advisory lock (waiting), so two processes never refresh the same account
///    at once — the second would present a token the first just rotated away;
/// 2. reads and opens the current sealed token (a process that waited gets the rotated one);
/// 3. exchanges it, then seals and commits the rotated token **before** returning, so the access
///    token is never used while the only copy of the new refresh token is in memory;
/// 4. on `invalid_grant`, marks the account `needs_reconnect` and rethrows.
///
/// The one window left is between the token endpoint's answer and the commit (microseconds plus a
/// round trip to PostgreSQL): a process killed exactly there loses the rotated token, as with any
/// client of a strictly rotating issuer.
public struct StoredRefreshToken: RefreshTokenStore {
    public let companyID: String
    let database: PostgresConfiguration
    let key: TokenKey
    let logger: Logger

    public init(companyID: String, database: PostgresConfiguration, key: TokenKey, logger: Logger) {
        self.companyID = companyID
        self.database = database
        self.key = key
        self.logger = logger
    }

    static func lockName(companyID: String) -> String { "understory-sync:account-token:\(companyID)" }

    public func rotate(
        _ exchange: @Sendable (Secret) async throws -> TokenGrantResponse
    ) async throws -> TokenGrantResponse {
        try await PostgresConnection.withConnection(database, logger: logger) { connection in
            let lock = Self.lockName(companyID: companyID)
            try await connection.advisoryLock(lock)
            do {
                let response = try await rotateLocked(exchange, store: AccountStore(connection: connection))
                _ = try? await connection.advisoryUnlock(lock)
                return response
            } catch {
                _ = try? await connection.advisoryUnlock(lock)
                throw error
            }
        }
    }

    private func rotateLocked(
        _ exchange: @Sendable (Secret) async throws -> TokenGrantResponse, store: AccountStore
    ) async throws -> TokenGrantResponse {
        guard let current = try await store.sealedToken(companyID) else {
            throw try await store.unknownAccount(companyID)
        }
        guard current.status == .active, let sealed = current.sealed else {
            throw Self.notActive(companyID: companyID, status: current.status)
        }
        let token = try key.open(sealed, companyID: companyID, keyID: current.keyID)
        let response: TokenGrantResponse
        do {
            response = try await exchange(token)
        } catch let error as UnderstoryAPIError where error.code == .reconnectRequired {
            try await store.markNeedsReconnect(companyID, reason: String(describing: error))
            logger.error("refresh token rejected; account marked needs_reconnect", metadata: ["company_id": "\(companyID)"])
            throw error
        }
        if let rotated = response.refreshToken, rotated != token {
            try await store.storeRotated(companyID, token: rotated, scopes: response.accessToken.grantedScopes, key: key)
            logger.debug("refresh token rotated and stored", metadata: ["company_id": "\(companyID)", "generation": "\(current.generation + 1)"])
        }
        return response
    }

    /// Why an account that is not active cannot be synced (`.accountNotActive`, exit 77).
    static func notActive(companyID: String, status: Account.Status) -> SyncError {
        SyncError(.accountNotActive, notActiveMessage(companyID: companyID, status: status))
    }

    private static func notActiveMessage(companyID: String, status: Account.Status) -> String {
        switch status {
        case .needsReconnect:
            return "account \(companyID) needs to be connected again (its consent was revoked or its refresh token rejected): run `understory-sync accounts connect`"
        case .disconnected:
            return "account \(companyID) was disconnected: run `understory-sync accounts connect` to connect it again"
        case .active:
            return "account \(companyID) has no refresh token: run `understory-sync accounts connect`"
        }
    }
}
