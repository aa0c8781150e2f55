import Foundation
import Logging
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

    /// A row stored before the API is asked for a subscription, so that no API subscription is
    /// ever made that this table does not know of. Its id is `pending-{endpoint}` until ``complete``.
    static let pendingState = "PENDING"
    static func pendingID(endpoint: String) -> String { "pending-" + endpoint }

    /// A fresh endpoint key: the last path segment `webhooks subscribe` appends to the URL, so that
    /// `serve` knows the account (and its secret) of a delivery from its path before any HMAC.
    public static func newEndpoint() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<12).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return "sub_" + bytes.map { String($0, radix: 16).leftPadded(to: 2) }.joined()
    }

    /// The endpoint key of a subscription URL: its last path segment when that is one `newEndpoint` makes.
    public static func endpoint(ofURL url: String) -> String? {
        guard let last = url.split(separator: "?").first?.split(separator: "/").last, last.hasPrefix("sub_") else { return nil }
        return String(last)
    }

    /// Records that a subscription of `url` (ending with `endpoint`) is about to be created. A
    /// database error here stops `webhooks subscribe` before the API is asked.
    public func savePending(companyID: String, endpoint: String, url: String, eventTypes: [String], key: TokenKey) async throws {
        try await connection.execute(
            """
            INSERT INTO understory.webhook_subscriptions (company_id, id, url, event_types, state, secret_sealed, token_key_id)
            VALUES ($1, $2, $3, $4::text[], $5, ''::bytea, $6)
            """,
            [companyID, Self.pendingID(endpoint: endpoint), url, PostgresTextArray(eventTypes), Self.pendingState, key.id]
        )
    }

    /// Completes the pending row of `endpoint` with the subscription the API created, sealing its secret.
    public func complete(companyID: String, endpoint: String, subscription: WebhookSubscription, secret: Secret, key: TokenKey) async throws {
        let sealed = try key.seal(secret, companyID: Self.associatedData(companyID: companyID, id: subscription.id))
        let updated = try await connection.execute(
            """
            UPDATE understory.webhook_subscriptions SET id = $3, state = $4, secret_sealed = $5, token_key_id = $6,
                event_types = coalesce($7::text[], event_types)
            WHERE company_id = $1 AND id = $2
            """,
            [
                companyID, Self.pendingID(endpoint: endpoint), subscription.id, subscription.state ?? "ENABLED", PostgresBytes(sealed), key.id,
                subscription.eventTypes.map(PostgresTextArray.init),
            ]
        ).affectedRows
        guard updated == 1 else {
            throw SyncError(.invalidData, "the pending row of webhook subscription \(subscription.id) is gone; delete the subscription and subscribe again")
        }
    }

    /// Forgets a pending row whose API call failed (no subscription was made).
    public func deletePending(companyID: String, endpoint: String) async throws {
        try await connection.execute(
            "DELETE FROM understory.webhook_subscriptions WHERE company_id = $1 AND id = $2 AND state = $3",
            [companyID, Self.pendingID(endpoint: endpoint), Self.pendingState]
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

    /// One subscription's secret, opened.
    public struct StoredSecret: Sendable {
        public var companyID: String
        public var subscriptionID: String
        /// The last path segment of its URL when `webhooks subscribe` made it (`sub_…`), else nil.
        public var endpoint: String?
        public var secret: Secret

        public init(companyID: String, subscriptionID: String, endpoint: String?, secret: Secret) {
            self.companyID = companyID
            self.subscriptionID = subscriptionID
            self.endpoint = endpoint
            self.secret = secret
        }
    }

    /// Every stored secret that opens with `key`. A secret that does not open (another key, an
    /// altered row) is logged by subscription id and skipped, so one bad row never stops `serve`;
    /// pending rows (no secret yet) are skipped silently.
    public func secrets(key: TokenKey, logger: Logger) async throws -> [StoredSecret] {
        let result = try await connection.execute(
            "SELECT company_id, id, url, state, secret_sealed, token_key_id FROM understory.webhook_subscriptions ORDER BY company_id, id"
        )
        var secrets: [StoredSecret] = []
        for row in result.rows {
            let companyID = try row["company_id"].decode(String.self)
            let id = try row["id"].decode(String.self)
            let keyID = try row["token_key_id"].decode(String.self)
            if try row["state"].decode(String?.self) == Self.pendingState { continue }
            guard let sealed = row["secret_sealed"].bytes, !sealed.isEmpty else { continue }
            do {
                let secret = try key.open(sealed, companyID: Self.associatedData(companyID: companyID, id: id), keyID: nil)
                secrets.append(
                    StoredSecret(
                        companyID: companyID, subscriptionID: id, endpoint: Self.endpoint(ofURL: try row["url"].decode(String.self)), secret: secret
                    )
                )
            } catch {
                logger.error(
                    "a webhook subscription's secret does not open; its deliveries get 401 until it is fixed",
                    metadata: [
                        "company_id": "\(companyID)", "subscription": "\(id)",
                        "reason": "\(keyID != key.id ? "sealed with another \(TokenKey.variable) (key id \(keyID); this one is \(key.id)): restore that key, or subscribe again" : "the row was altered: subscribe again")",
                    ]
                )
            }
        }
        return secrets
    }

    /// The companies this database holds data of that are not connected accounts: in internal-key
    /// mode, the key's own company (one), known before the API answers `/v1/me`.
    public func internalCompanyCandidates() async throws -> [String] {
        try await connection.execute(
            """
            SELECT company_id FROM (SELECT company_id FROM understory.webhook_subscriptions
                                    UNION SELECT company_id FROM understory.sync_state) AS known
            WHERE company_id NOT IN (SELECT company_id FROM understory.accounts) ORDER BY company_id
            """
        ).rows.map { try $0["company_id"].decode(String.self) }
    }

    /// Forgets every subscription of `companyID` (after the API deleted them); returns their ids.
    @discardableResult
    public func deleteAll(companyID: String) async throws -> [String] {
        try await connection.execute(
            "DELETE FROM understory.webhook_subscriptions WHERE company_id = $1 RETURNING id", [companyID]
        ).rows.map { try $0["id"].decode(String.self) }
    }
}

extension String {
    fileprivate func leftPadded(to length: Int) -> String { String(repeating: "0", count: max(0, length - count)) + self }
}
