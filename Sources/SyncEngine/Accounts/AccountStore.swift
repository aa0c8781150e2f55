import Foundation
import PostgresClient
import UnderstoryAPI

/// Reads and writes `understory.accounts`. Tokens go in and out sealed by a ``TokenKey``; this
/// type never holds one in the clear longer than a call.
public struct AccountStore: Sendable {
    let connection: PostgresConnection

    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    static let columns = """
        company_id, company_name, user_id, email, client_id, array_to_string(scopes, ' ') AS scopes, status, status_reason,
        status_changed_at, token_generation, refresh_token_rotated_at, connected_at
        """

    /// Every account, by company id.
    public func list() async throws -> [Account] {
        try await connection.execute("SELECT \(Self.columns) FROM understory.accounts ORDER BY company_id").rows.map(Self.account)
    }

    /// The account with `companyID`, or nil.
    public func find(_ companyID: String) async throws -> Account? {
        try await connection.execute("SELECT \(Self.columns) FROM understory.accounts WHERE company_id = $1", [companyID]).rows.first.map(Self.account)
    }

    /// The account, or `.unknownAccount` naming the ones there are.
    public func require(_ companyID: String) async throws -> Account {
        if let account = try await find(companyID) { return account }
        throw try await unknownAccount(companyID)
    }

    /// `.unknownAccount` for `companyID`, naming the accounts there are.
    func unknownAccount(_ companyID: String) async throws -> SyncError {
        let known = try await list().map(\.companyID)
        let hint = known.isEmpty ? "no account is connected yet: run `understory-sync accounts connect`" : "connected accounts: \(known.joined(separator: ", "))"
        return SyncError(.unknownAccount, "no connected account has company id \(companyID) (\(hint))")
    }

    /// Stores a newly (re)connected account with its refresh token, active.
    public func saveConnected(
        me: Me, companyID: String, clientID: String, scopes: [String], refreshToken: Secret, key: TokenKey
    ) async throws -> Account {
        let sealed = try key.seal(refreshToken, companyID: companyID)
        let row = try await connection.execute(
            """
            INSERT INTO understory.accounts AS a
                (company_id, company_name, user_id, email, client_id, scopes, status, status_reason, status_changed_at,
                 refresh_token_sealed, token_key_id, token_generation, refresh_token_rotated_at, connected_at)
            VALUES ($1, $2, $3, $4, $5, string_to_array($6, ' '), 'active', 'connected', now(), $7, $8, 0, now(), now())
            ON CONFLICT (company_id) DO UPDATE SET
                company_name = excluded.company_name, user_id = excluded.user_id, email = excluded.email,
                client_id = excluded.client_id, scopes = excluded.scopes, status = 'active', status_reason = 'reconnected',
                status_changed_at = now(), refresh_token_sealed = excluded.refresh_token_sealed,
                token_key_id = excluded.token_key_id, token_generation = a.token_generation + 1,
                refresh_token_rotated_at = now(), connected_at = now()
            RETURNING \(Self.columns)
            """,
            [companyID, me.companyName, me.userID, me.email, clientID, scopes.joined(separator: " "), PostgresBytes(sealed), key.id]
        ).rows
        return try Self.account(row[0])
    }

    /// The sealed refresh token and the id of the key that sealed it (nil once disconnected).
    func sealedToken(_ companyID: String) async throws -> (status: Account.Status, sealed: [UInt8]?, keyID: String?, generation: Int64)? {
        guard
            let row = try await connection.execute(
                "SELECT status, refresh_token_sealed, token_key_id, token_generation FROM understory.accounts WHERE company_id = $1",
                [companyID]
            ).rows.first
        else { return nil }
        return (
            Account.Status(rawValue: try row["status"].decode(String.self)) ?? .disconnected, row["refresh_token_sealed"].bytes,
            try row["token_key_id"].decode(String?.self), try row["token_generation"].decode(Int64.self)
        )
    }

    /// Replaces the refresh token after a rotation (commits at once when outside a transaction).
    func storeRotated(_ companyID: String, token: Secret, scopes: [String]?, key: TokenKey) async throws {
        let sealed = try key.seal(token, companyID: companyID)
        try await connection.execute(
            """
            UPDATE understory.accounts SET refresh_token_sealed = $2, token_key_id = $3, token_generation = token_generation + 1,
                refresh_token_rotated_at = now(), scopes = coalesce(string_to_array($4, ' '), scopes)
            WHERE company_id = $1
            """,
            [companyID, PostgresBytes(sealed), key.id, scopes?.joined(separator: " ")]
        )
    }

    /// Marks the account `needs_reconnect` (its token was rejected), keeping the reason.
    public func markNeedsReconnect(_ companyID: String, reason: String) async throws {
        try await connection.execute(
            """
            UPDATE understory.accounts SET status = 'needs_reconnect', status_reason = $2, status_changed_at = now()
            WHERE company_id = $1 AND status = 'active'
            """,
            [companyID, reason]
        )
    }

    /// Deletes the account's token and marks it disconnected; returns the token (to revoke), if any.
    public func disconnect(_ companyID: String, key: TokenKey?) async throws -> Secret? {
        try await connection.withTransaction { connection in
            let store = AccountStore(connection: connection)
            guard let current = try await connection.execute(
                "SELECT refresh_token_sealed, token_key_id FROM understory.accounts WHERE company_id = $1 FOR UPDATE", [companyID]
            ).rows.first else {
                throw try await store.unknownAccount(companyID)
            }
            // A missing or wrong key must not block disconnecting: the token is deleted either way,
            // only revoking it at the issuer needs it in the clear.
            let keyID = try current["token_key_id"].decode(String?.self)
            let token = current["refresh_token_sealed"].bytes.flatMap { sealed in
                try? key?.open(sealed, companyID: companyID, keyID: keyID)
            }
            try await connection.execute(
                """
                UPDATE understory.accounts SET status = 'disconnected', status_reason = 'disconnected by accounts disconnect',
                    status_changed_at = now(), refresh_token_sealed = NULL, token_key_id = NULL
                WHERE company_id = $1
                """,
                [companyID]
            )
            return token
        }
    }

    static func account(_ row: PostgresRow) throws -> Account {
        Account(
            companyID: try row["company_id"].decode(String.self), companyName: try row["company_name"].decode(String?.self),
            userID: try row["user_id"].decode(String?.self), email: try row["email"].decode(String?.self),
            clientID: try row["client_id"].decode(String.self),
            scopes: (try row["scopes"].decode(String?.self) ?? "").split(separator: " ").map(String.init),
            status: Account.Status(rawValue: try row["status"].decode(String.self)) ?? .disconnected,
            statusReason: try row["status_reason"].decode(String?.self), statusChangedAt: try row["status_changed_at"].decode(Date.self),
            tokenGeneration: try row["token_generation"].decode(Int64.self),
            refreshTokenRotatedAt: try row["refresh_token_rotated_at"].decode(Date?.self), connectedAt: try row["connected_at"].decode(Date.self)
        )
    }
}
