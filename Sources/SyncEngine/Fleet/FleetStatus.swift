import Foundation
import PostgresClient

/// The fleet part of `status`: each connected account's schedule and lease, and one summary.
public struct FleetStatus: Sendable, Codable {
    public struct AccountSchedule: Sendable, Codable {
        public var companyID: String
        public var status: String
        /// Worker holding the account now (its lease has not expired), if any.
        public var leaseOwner: String?
        public var leaseExpiresAt: Date?
        public var nextSyncAt: Date
        public var lastSuccessAt: Date?
        public var consecutiveFailures: Int
        public var lastFailure: String?

        enum CodingKeys: String, CodingKey {
            case companyID = "company_id", status, leaseOwner = "lease_owner", leaseExpiresAt = "lease_expires_at"
            case nextSyncAt = "next_sync_at", lastSuccessAt = "last_success_at"
            case consecutiveFailures = "consecutive_failures", lastFailure = "last_failure"
        }
    }

    /// Active accounts whose next sync time has passed and that no live lease holds.
    public var due: Int
    /// Active accounts whose last success (or connection, if never synced) is older than twice their interval.
    public var overdue: Int
    /// Accounts a worker holds right now.
    public var leased: Int
    /// Accounts whose last worker sync failed (consecutive_failures > 0), plus those needing reconnection.
    public var failing: Int
    public var accounts: [AccountSchedule]

    /// Reads it from `understory.accounts` at the database's `now()`.
    public static func load(from connection: PostgresConnection) async throws -> FleetStatus {
        let rows = try await connection.execute(
            """
            SELECT company_id, status, next_sync_at, last_success_at, consecutive_failures, last_failure,
                   CASE WHEN lease_expires_at > now() THEN lease_owner END AS lease_owner,
                   CASE WHEN lease_expires_at > now() THEN lease_expires_at END AS lease_expires_at,
                   (status = 'active' AND next_sync_at <= now() AND (lease_owner IS NULL OR lease_expires_at <= now())) AS due,
                   (status = 'active' AND sync_interval IS NOT NULL
                        AND coalesce(last_success_at, connected_at) < now() - 2 * sync_interval) AS overdue,
                   (consecutive_failures > 0 OR status = 'needs_reconnect') AS failing
            FROM understory.accounts WHERE status <> 'disconnected' ORDER BY company_id
            """
        ).rows
        var status = FleetStatus(due: 0, overdue: 0, leased: 0, failing: 0, accounts: [])
        for row in rows {
            let account = AccountSchedule(
                companyID: try row["company_id"].decode(String.self), status: try row["status"].decode(String.self),
                leaseOwner: try row["lease_owner"].decode(String?.self), leaseExpiresAt: try row["lease_expires_at"].decode(Date?.self),
                nextSyncAt: try row["next_sync_at"].decode(Date.self), lastSuccessAt: try row["last_success_at"].decode(Date?.self),
                consecutiveFailures: try row["consecutive_failures"].decode(Int.self), lastFailure: try row["last_failure"].decode(String?.self)
            )
            if try row["due"].decode(Bool.self) { status.due += 1 }
            if try row["overdue"].decode(Bool.self) { status.overdue += 1 }
            if try row["failing"].decode(Bool.self) { status.failing += 1 }
            if account.leaseOwner != nil { status.leased += 1 }
            status.accounts.append(account)
        }
        return status
    }
}
