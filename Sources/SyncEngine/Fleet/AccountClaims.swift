import Foundation
import PostgresClient

/// Leases on `understory.accounts`: the only coordination between workers. Every statement is
/// one short transaction of its own. Every time is set and compared on the database's clock
/// (`now()`), never a worker's: workers whose clocks disagree still agree on who holds a lease
/// and when an account is due.
public struct AccountClaims: Sendable {
    let connection: PostgresConnection

    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// An account taken by a claim.
    public struct Claim: Sendable, Hashable {
        public var companyID: String
        public var nextSyncAt: Date
        public var consecutiveFailures: Int
    }

    /// Takes up to `limit` due accounts for `owner`: active, `next_sync_at <= now()`, free or with
    /// an expired lease, most overdue first. Rows another transaction is claiming right now are
    /// skipped (`SKIP LOCKED`), so concurrent workers never take the same account.
    public func claim(owner: LeaseOwner, limit: Int, lease: Duration) async throws -> [Claim] {
        let rows = try await connection.execute(
            """
            WITH due AS (
                SELECT company_id FROM understory.accounts
                WHERE status = 'active' AND next_sync_at <= now()
                  AND (lease_owner IS NULL OR lease_expires_at <= now())
                ORDER BY next_sync_at, company_id
                LIMIT $1::int
                FOR UPDATE SKIP LOCKED
            )
            UPDATE understory.accounts a
            SET lease_owner = $2, lease_expires_at = now() + $3::float8 * interval '1 second', heartbeat_at = now()
            FROM due WHERE a.company_id = due.company_id
            RETURNING a.company_id, a.next_sync_at, a.consecutive_failures
            """,
            [limit, owner.name, FleetPolicy.seconds(lease)]
        ).rows
        return try rows.map { row in
            Claim(
                companyID: try row["company_id"].decode(String.self), nextSyncAt: try row["next_sync_at"].decode(Date.self),
                consecutiveFailures: try row["consecutive_failures"].decode(Int.self)
            )
        }
        .sorted { ($0.nextSyncAt, $0.companyID) < ($1.nextSyncAt, $1.companyID) }
    }

    /// Extends `owner`'s leases on `companyIDs` (the heartbeat). Returns the ids still held; the
    /// others were lost (expired and taken by another worker, or released).
    public func renew(owner: LeaseOwner, companyIDs: [String], lease: Duration) async throws -> Set<String> {
        guard !companyIDs.isEmpty else { return [] }
        let ids = String(decoding: try JSONEncoder().encode(companyIDs), as: UTF8.self)
        let rows = try await connection.execute(
            """
            UPDATE understory.accounts
            SET lease_expires_at = now() + $2::float8 * interval '1 second', heartbeat_at = now()
            WHERE lease_owner = $1 AND company_id IN (SELECT jsonb_array_elements_text($3::jsonb))
            RETURNING company_id
            """,
            [owner.name, FleetPolicy.seconds(lease), PostgresJSON(ids)]
        ).rows
        return Set(try rows.map { try $0["company_id"].decode(String.self) })
    }

    /// How a leased sync ended, and what that does to the account's schedule (delays from the
    /// database's `now()` at the release).
    public enum Release: Sendable {
        /// Synced: due again `after` from now (the interval, jittered), failures reset.
        case succeeded(after: Duration, interval: Duration)
        /// Failed: due again `after` from now (the backoff), failures counted, the reason kept.
        case failed(after: Duration, reason: String)
        /// Stopped by a signal before it finished: still due, for the next worker to pick up.
        case interrupted
    }

    /// Ends `owner`'s lease on the account and records the outcome. Returns false when the lease
    /// was no longer `owner`'s (it expired and another worker took it): nothing is written then.
    @discardableResult
    public func release(owner: LeaseOwner, companyID: String, _ outcome: Release) async throws -> Bool {
        let free = "lease_owner = NULL, lease_expires_at = NULL, heartbeat_at = now()"
        let result: PostgresResult
        switch outcome {
        case .succeeded(let after, let interval):
            result = try await connection.execute(
                """
                UPDATE understory.accounts SET \(free), next_sync_at = now() + $3::float8 * interval '1 second',
                    sync_interval = $4::float8 * interval '1 second', consecutive_failures = 0, last_success_at = now()
                WHERE company_id = $1 AND lease_owner = $2 RETURNING company_id
                """,
                [companyID, owner.name, FleetPolicy.seconds(after), FleetPolicy.seconds(interval)]
            )
        case .failed(let after, let reason):
            result = try await connection.execute(
                """
                UPDATE understory.accounts SET \(free), next_sync_at = now() + $3::float8 * interval '1 second',
                    consecutive_failures = consecutive_failures + 1, last_failure_at = now(), last_failure = $4
                WHERE company_id = $1 AND lease_owner = $2 RETURNING company_id
                """,
                [companyID, owner.name, FleetPolicy.seconds(after), reason]
            )
        case .interrupted:
            result = try await connection.execute(
                "UPDATE understory.accounts SET \(free) WHERE company_id = $1 AND lease_owner = $2 RETURNING company_id",
                [companyID, owner.name]
            )
        }
        return !result.rows.isEmpty
    }

    /// Drops every lease `owner` still holds (a worker shutting down), leaving the accounts due.
    @discardableResult
    public func releaseAll(owner: LeaseOwner) async throws -> Int {
        try await connection.execute(
            "UPDATE understory.accounts SET lease_owner = NULL, lease_expires_at = NULL WHERE lease_owner = $1 RETURNING company_id",
            [owner.name]
        ).rows.count
    }

    /// How long until the next account falls due (active, not leased by someone live), on the
    /// database's clock: zero when one is due now, nil when none is active.
    public func nextDue() async throws -> Duration? {
        let row = try await connection.execute(
            """
            SELECT extract(epoch FROM min(greatest(next_sync_at, CASE WHEN lease_expires_at > now() THEN lease_expires_at END)) - now())::float8 AS seconds
            FROM understory.accounts WHERE status = 'active'
            """
        ).rows.first
        return try row?["seconds"].decode(Double?.self).map { .milliseconds(Int64(max(0, $0) * 1000)) }
    }

    /// The database's clock minus `local` (positive when the database is ahead).
    public func skew(from local: Date) async throws -> Duration {
        let now = try await connection.execute("SELECT now() AS now").rows[0]["now"].decode(Date.self)
        return .milliseconds(Int64(now.timeIntervalSince(local) * 1000))
    }
}
