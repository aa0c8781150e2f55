import PostgresClient
import UnderstoryAPI

/// `understory.webhook_subscriptions`: subscriptions made by this tool, their secrets sealed with
/// the ``TokenKey`` (the company and subscription id are authenticated, so a sealed secret copied
/// onto another row does not open). Secrets are only ever returned as ``Secret``.
public struct WebhookSubscriptionStore: Sendable {
    let connection: PostgresConnection

    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// One stored subscription (without its secret).
    public struct Row: Sendable, Hashable {
        public var companyID: String
        public var id: String
        public var url: String
        public var eventTypes: [String]
        public var state: String?
    }

    static func associatedData(companyID: String, id: String) -> String { "webhook-subscription:\(companyID):\(id)" }

    /// Stores a subscription just created, sealing its secret.
    public func save(companyID: String, subscription: WebhookSubscription, secret: Secret, key: TokenKey) async throws {
        let sealed = try key.seal(secret, companyID: Self.associatedData(companyID: companyID, id: subscription.id))
        try await connection.execute(
            """
            INSERT INTO understory.webhook_subscriptions (company_id, id, url, event_types, state, secret_sealed, token_key_id)
            VALUES ($1, $2, $3, $4::text[], $5, $6, $7)
            ON CONFLICT (company_id, id) DO UPDATE SET url = excluded.url, event_types = excluded.event_types,
                state = excluded.state, secret_sealed = excluded.secret_sealed, token_key_id = excluded.token_key_id
            """,
            [
                companyID, subscription.id, subscription.url ?? "", PostgresTextArray(subscription.eventTypes ?? []), subscription.state,
                PostgresBytes(sealed), key.id,
            ]
        )
    }

    /// Stored subscriptions, of one company or all.
    public func list(companyID: String? = nil) async throws -> [Row] {
        let result = try await connection.execute(
            """
            SELECT company_id, id, url, array_to_string(event_types, ' ') AS types, state
            FROM understory.webhook_subscriptions WHERE $1::text IS NULL OR company_id = $1 ORDER BY company_id, created_at, id
            """,
            [companyID]
        )
        return try result.rows.map { row in
            Row(
                companyID: try row["company_id"].decode(String.self), id: try row["id"].decode(String.self),
                url: try row["url"].decode(String.self),
                eventTypes: (try row["types"].decode(String?.self) ?? "").split(separator: " ").map(String.init),
                state: try row["state"].decode(String?.self)
            )
        }
    }

    /// Forgets a subscription (after the API deleted it). True if it was stored.
    @discardableResult
    public func delete(companyID: String, id: String) async throws -> Bool {
        try await connection.execute(
            "DELETE FROM understory.webhook_subscriptions WHERE company_id = $1 AND id = $2", [companyID, id]
        ).affectedRows > 0
    }

    /// Every stored secret, opened, by company.
    public func secrets(key: TokenKey) async throws -> [String: [Secret]] {
        let result = try await connection.execute(
            "SELECT company_id, id, secret_sealed, token_key_id FROM understory.webhook_subscriptions ORDER BY company_id, id"
        )
        var secrets: [String: [Secret]] = [:]
        for row in result.rows {
            let companyID = try row["company_id"].decode(String.self)
            let id = try row["id"].decode(String.self)
            let keyID = try row["token_key_id"].decode(String.self)
            guard let sealed = row["secret_sealed"].bytes else { continue }
            do {
                let secret = try key.open(sealed, companyID: Self.associatedData(companyID: companyID, id: id), keyID: nil)
                secrets[companyID, default: []].append(secret)
            } catch {
                throw SyncError(
                    .tokenKeyInvalid,
                    keyID != key.id
                        ? "the secret of webhook subscription \(id) was sealed with another \(TokenKey.variable) (key id \(keyID); this one is \(key.id)): restore that key, or subscribe again"
                        : "the secret of webhook subscription \(id) does not open with \(TokenKey.variable) (the row was altered): subscribe again"
                )
            }
        }
        return secrets
    }
}
