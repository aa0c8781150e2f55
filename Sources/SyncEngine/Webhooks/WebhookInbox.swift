import Foundation
import PostgresClient
import UnderstoryAPI

/// `understory.webhook_inbox`: verified deliveries waiting to be (or already) processed.
public struct WebhookInbox: Sendable {
    let connection: PostgresConnection

    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// One verified delivery to store.
    public struct Delivery: Sendable {
        public var companyID: String
        /// The `webhook-id` header (the dedupe key).
        public var webhookID: String
        public var sentAt: Date?
        public var body: [UInt8]
        public var message: WebhookMessage

        public init(companyID: String, webhookID: String, sentAt: Date?, body: [UInt8], message: WebhookMessage) {
            self.companyID = companyID
            self.webhookID = webhookID
            self.sentAt = sentAt
            self.body = body
            self.message = message
        }
    }

    /// A pending row the worker is to process.
    struct Pending: Sendable {
        var id: Int64
        var companyID: String
        var eventType: String
        var resource: String?
        var resourceID: String?
        var attempts: Int
        var receivedAt: Date
    }

    /// Stores a delivery (one statement: committed when this returns). False when a delivery with
    /// the same `webhook-id` was stored before (a retry or duplicate: acknowledge, do not process again).
    public func insert(_ delivery: Delivery) async throws -> Bool {
        let subject = delivery.message.subject
        let result = try await connection.execute(
            """
            INSERT INTO understory.webhook_inbox (company_id, webhook_id, event_type, resource, resource_id, body, sent_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (company_id, webhook_id) DO NOTHING
            """,
            [
                delivery.companyID, delivery.webhookID, delivery.message.type, subject?.resource, subject?.id,
                String(decoding: delivery.body, as: UTF8.self), delivery.sentAt,
            ]
        )
        return result.affectedRows == 1
    }

    /// Pending rows due at `now`, oldest first.
    func due(now: Date, limit: Int) async throws -> [Pending] {
        let result = try await connection.execute(
            """
            SELECT id, company_id, event_type, resource, resource_id, attempts, received_at FROM understory.webhook_inbox
            WHERE status = 'pending' AND next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $2
            """,
            [now, limit]
        )
        return try result.rows.map { row in
            Pending(
                id: try row["id"].decode(Int64.self), companyID: try row["company_id"].decode(String.self),
                eventType: try row["event_type"].decode(String.self), resource: try row["resource"].decode(String?.self),
                resourceID: try row["resource_id"].decode(String?.self), attempts: try row["attempts"].decode(Int.self),
                receivedAt: try row["received_at"].decode(Date.self)
            )
        }
    }

    /// When the next pending row is due (nil: none pending).
    func nextDue() async throws -> Date? {
        try await connection.execute("SELECT min(next_attempt_at) AS t FROM understory.webhook_inbox WHERE status = 'pending'")
            .rows.first?["t"].decode(Date?.self) ?? nil
    }

    func markProcessed(_ ids: [Int64]) async throws {
        guard !ids.isEmpty else { return }
        try await connection.execute(
            "UPDATE understory.webhook_inbox SET status = 'processed', processed_at = now(), last_error = NULL WHERE id = ANY($1::bigint[])",
            [PostgresTextArray(ids.map(String.init))]
        )
    }

    /// Counts a failed attempt: due again at `nextAttempt`, or parked.
    func recordFailure(_ id: Int64, error: String, nextAttempt: Date, park: Bool) async throws {
        try await connection.execute(
            """
            UPDATE understory.webhook_inbox SET attempts = attempts + 1, last_error = $2, next_attempt_at = $3,
                status = CASE WHEN $4::boolean THEN 'parked' ELSE status END, processed_at = CASE WHEN $4::boolean THEN now() END
            WHERE id = $1
            """,
            [id, String(error.prefix(500)), nextAttempt, park]
        )
    }

    /// Deletes processed rows older than `age`; returns how many.
    @discardableResult
    public func prune(processedBefore cutoff: Date) async throws -> Int {
        try await connection.execute(
            "DELETE FROM understory.webhook_inbox WHERE status = 'processed' AND processed_at < $1", [cutoff]
        ).affectedRows
    }

    /// Pending and parked counts and the age of the oldest pending row, for `status` and metrics.
    public struct Summary: Sendable, Hashable, Codable {
        public var pending = 0
        public var parked = 0
        public var processed = 0
        /// When the oldest pending row was received.
        public var oldestPendingReceivedAt: Date?

        enum CodingKeys: String, CodingKey {
            case pending, parked, processed
            case oldestPendingReceivedAt = "oldest_pending_received_at"
        }
    }

    public func summary() async throws -> Summary {
        let row = try await connection.execute(
            """
            SELECT count(*) FILTER (WHERE status = 'pending') AS pending, count(*) FILTER (WHERE status = 'parked') AS parked,
                   count(*) FILTER (WHERE status = 'processed') AS processed,
                   min(received_at) FILTER (WHERE status = 'pending') AS oldest
            FROM understory.webhook_inbox
            """
        ).rows[0]
        return Summary(
            pending: try row["pending"].decode(Int.self), parked: try row["parked"].decode(Int.self),
            processed: try row["processed"].decode(Int.self), oldestPendingReceivedAt: try row["oldest"].decode(Date?.self)
        )
    }
}
