import Foundation
import PostgresClient

/// What the status page shows beyond ``StatusReport``: each account × resource's recent runs, the
/// parked webhook deliveries with their error, and the unresolved rejected items — never the raw
/// item or delivery body (personal data). Each list is bounded.
public struct StatusDetails: Sendable {
    /// One run as the page's strip shows it.
    public struct RecentRun: Sendable, Hashable {
        public var id: Int64
        public var command: String
        public var status: String
        public var startedAt: Date
        public var error: String?
        /// The status the run exited with (``ExitStatus``); nil while running, for abandoned runs and older rows.
        public var exitStatus: Int?
    }

    public struct ParkedDelivery: Sendable, Hashable {
        public var companyID: String
        public var eventType: String
        public var resource: String?
        public var resourceID: String?
        public var receivedAt: Date
        public var attempts: Int
        public var lastError: String?
    }

    public struct Rejected: Sendable, Hashable {
        public var companyID: String
        public var resource: String
        public var itemID: String?
        public var reason: String
        public var firstSeenAt: Date
        public var lastSeenAt: Date
    }

    /// "company_id resource" → its last runs (at most ``runsPerResource``), oldest first.
    public var recentRuns: [String: [RecentRun]] = [:]
    public var parked: [ParkedDelivery] = []
    public var rejected: [Rejected] = []

    public static let runsPerResource = 30
    /// At most this many parked deliveries and rejected items are listed (newest first).
    public static let listLimit = 100
    /// How many of the newest runs the strips are built from.
    static let runsScanned = 5000

    public init() {}

    public static func key(companyID: String, resource: String) -> String { "\(companyID) \(resource)" }

    public static func load(from connection: PostgresConnection) async throws -> StatusDetails {
        var details = StatusDetails()
        // The newest runs (by the primary key), spread over the resources each one touched (its
        // counts' keys); a failed run that named none counts for every resource of its account.
        let resources = Resource.allCases.map(\.rawValue)
        for row in try await connection.execute(
            """
            SELECT id, company_id, command, status, started_at, error, exit_status,
                   coalesce((SELECT string_agg(k, ',') FROM jsonb_object_keys(counts) k), '') AS resources
            FROM understory.sync_runs WHERE company_id IS NOT NULL ORDER BY id DESC LIMIT \(runsScanned)
            """
        ).rows {
            let run = RecentRun(
                id: try row["id"].decode(Int64.self), command: try row["command"].decode(String.self),
                status: try row["status"].decode(String.self), startedAt: try row["started_at"].decode(Date.self),
                error: try row["error"].decode(String?.self), exitStatus: try row["exit_status"].decode(Int?.self)
            )
            let companyID = try row["company_id"].decode(String.self)
            var touched = try row["resources"].decode(String.self).split(separator: ",").map(String.init).filter(resources.contains)
            if touched.isEmpty && run.status != "succeeded" { touched = resources }
            for resource in touched {
                let key = key(companyID: companyID, resource: resource)
                if details.recentRuns[key, default: []].count < runsPerResource { details.recentRuns[key, default: []].append(run) }
            }
        }
        for key in details.recentRuns.keys { details.recentRuns[key]?.reverse() }

        details.parked = try await connection.execute(
            """
            SELECT company_id, event_type, resource, resource_id, received_at, attempts, last_error
            FROM understory.webhook_inbox WHERE status = 'parked' ORDER BY received_at DESC LIMIT \(listLimit)
            """
        ).rows.map { row in
            ParkedDelivery(
                companyID: try row["company_id"].decode(String.self), eventType: try row["event_type"].decode(String.self),
                resource: try row["resource"].decode(String?.self), resourceID: try row["resource_id"].decode(String?.self),
                receivedAt: try row["received_at"].decode(Date.self), attempts: try row["attempts"].decode(Int.self),
                lastError: try row["last_error"].decode(String?.self)
            )
        }
        details.rejected = try await connection.execute(
            """
            SELECT company_id, resource, item_id, reason, first_seen_at, last_seen_at
            FROM understory.rejected_items WHERE resolved_at IS NULL ORDER BY last_seen_at DESC LIMIT \(listLimit)
            """
        ).rows.map { row in
            Rejected(
                companyID: try row["company_id"].decode(String.self), resource: try row["resource"].decode(String.self),
                itemID: try row["item_id"].decode(String?.self), reason: try row["reason"].decode(String.self),
                firstSeenAt: try row["first_seen_at"].decode(Date.self), lastSeenAt: try row["last_seen_at"].decode(Date.self)
            )
        }
        return details
    }
}
