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

    /// A pending row a worker claimed.
    struct Pending: Sendable {
        var id: Int64
        var companyID: String
        var eventType: String
        var resource: String?
        var resourceID: String?
        var attempts: Int
        var receivedAt: Date
        /// When the item was first seen gone (nil: never), and whether that was at least the
        /// confirmation delay ago (by the database's clock).
        var goneSince: Date?
        var goneLongEnough: Bool

        var isDeletion: Bool { eventType.hasSuffix(".deleted") }
    }

    /// Rows one worker claimed in one round: only the holder of `token` records their outcome.
    struct Claim: Sendable {
        var token: String
        var rows: [Pending]
    }

    /// Stores a delivery (one statement: committed when this returns). False when a delivery with
    /// the same `webhook-id` was stored before (a retry or duplicate: acknowledge, do not process again).
    public func insert(_ delivery: Delivery) async throws -> Bool {
        // The topic's resource, by its declaration; a topic this build does not sync names nothing.
        let subject = delivery.message.subject.flatMap { subject in
            ResourceCatalog.current.resource(for: subject.topic).map { (resource: $0.rawValue, id: subject.id) }
        }
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

    /// Claims up to `limit` pending rows due now (the database's now), oldest first, skipping rows
    /// another worker holds: each gets a fresh claim token and is not due again for `lease` (a
    /// worker that dies leaves its rows to the next claim after the lease). `confirmAfter` is the
    /// deletion confirmation delay (see ``Pending/goneLongEnough``).
    func claim(limit: Int, lease: Duration, confirmAfter: Duration) async throws -> Claim {
        let token = UUID().uuidString.lowercased()
        let result = try await connection.execute(
            """
            UPDATE understory.webhook_inbox AS i SET claim = $3, next_attempt_at = now() + $2 * interval '1 second'
            FROM (
                SELECT id FROM understory.webhook_inbox WHERE status = 'pending' AND next_attempt_at <= now()
                ORDER BY next_attempt_at, id LIMIT $1 FOR UPDATE SKIP LOCKED
            ) AS due
            WHERE i.id = due.id
            RETURNING i.id, i.company_id, i.event_type, i.resource, i.resource_id, i.attempts, i.received_at, i.gone_since,
                      coalesce(i.gone_since <= now() - $4 * interval '1 second', false) AS gone_long_enough
            """,
            [limit, FleetPolicy.seconds(lease), token, FleetPolicy.seconds(confirmAfter)]
        )
        let rows = try result.rows.map { row in
            Pending(
                id: try row["id"].decode(Int64.self), companyID: try row["company_id"].decode(String.self),
                eventType: try row["event_type"].decode(String.self), resource: try row["resource"].decode(String?.self),
                resourceID: try row["resource_id"].decode(String?.self), attempts: try row["attempts"].decode(Int.self),
                receivedAt: try row["received_at"].decode(Date.self), goneSince: try row["gone_since"].decode(Date?.self),
                goneLongEnough: try row["gone_long_enough"].decode(Bool.self)
            )
        }
        return Claim(token: token, rows: rows.sorted { $0.id < $1.id })
    }

    /// How long until the next pending row is due, by the database's clock (nil: none pending;
    /// zero or less: due now).
    func untilNextDue() async throws -> Duration? {
        let seconds = try await connection.execute(
            "SELECT extract(epoch FROM min(next_attempt_at) - now())::float8 AS s FROM understory.webhook_inbox WHERE status = 'pending'"
        ).rows.first?["s"].decode(Double?.self) ?? nil
        return seconds.map { .milliseconds(Int64(($0 * 1000).rounded(.up))) }
    }

    /// Marks claimed rows processed (in the caller's transaction, with what they brought).
    func markProcessed(_ ids: [Int64], claim: String) async throws {
        guard !ids.isEmpty else { return }
        try await connection.execute(
            """
            UPDATE understory.webhook_inbox SET status = 'processed', processed_at = now(), last_error = NULL
            WHERE id = ANY($1::bigint[]) AND claim = $2
            """,
            [PostgresTextArray(ids.map(String.init)), claim]
        )
    }

    /// Counts a failed attempt of a claimed row: due again `retryAfter` from now, or parked.
    func recordFailure(_ id: Int64, claim: String, error: String, retryAfter: Duration, park: Bool) async throws {
        try await connection.execute(
            """
            UPDATE understory.webhook_inbox SET attempts = attempts + 1, last_error = $2, next_attempt_at = now() + $3 * interval '1 second',
                status = CASE WHEN $4::boolean THEN 'parked' ELSE status END, processed_at = CASE WHEN $4::boolean THEN now() END
            WHERE id = $1 AND claim = $5
            """,
            [id, String(error.prefix(300)), FleetPolicy.seconds(retryAfter), park, claim]
        )
    }

    /// Claimed rows of one item that is gone but not yet confirmed gone: the first sighting is
    /// remembered (`gone_since`, the earliest of the rows') and they are due again `confirmAfter`
    /// after it. Not a failure: `attempts` stays.
    func awaitDeletionCheck(_ ids: [Int64], claim: String, confirmAfter: Duration) async throws {
        guard !ids.isEmpty else { return }
        try await connection.execute(
            """
            WITH since AS (SELECT coalesce(min(gone_since), now()) AS t FROM understory.webhook_inbox WHERE id = ANY($1::bigint[]))
            UPDATE understory.webhook_inbox SET gone_since = since.t, next_attempt_at = since.t + $3 * interval '1 second'
            FROM since WHERE id = ANY($1::bigint[]) AND claim = $2
            """,
            [PostgresTextArray(ids.map(String.init)), claim, FleetPolicy.seconds(confirmAfter)]
        )
    }

    /// Deletes rows processed longer than `age` ago (by the database's clock); returns how many.
    @discardableResult
    public func prune(processedLongerAgoThan age: Duration) async throws -> Int {
        try await connection.execute(
            "DELETE FROM understory.webhook_inbox WHERE status = 'processed' AND processed_at < now() - $1 * interval '1 second'", [FleetPolicy.seconds(age)]
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
