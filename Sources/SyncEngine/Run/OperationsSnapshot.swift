import Foundation
import PostgresClient

/// What an operator watches, read from PostgreSQL in a few cheap statements (for `/metrics`): row
/// counts come from PostgreSQL's statistics, never from `count(*)` over a synced table, and every
/// synced table of the engine's catalog is included.
public struct OperationsSnapshot: Sendable, Hashable {
    /// Rows of one synced table, as PostgreSQL's statistics estimate them.
    public struct TableRows: Sendable, Hashable {
        public var table: String
        public var rows: Int
    }

    /// Every synced table (the engine's catalog, children included), in catalog order.
    public var tableRows: [TableRows] = []
    /// `sync_runs` started in the last ``recentRunsWindow``, by status (every status, 0 when none).
    public var recentRuns: [String: Int] = [:]
    /// Per resource, the newest `sync_state.last_success_at` over all accounts.
    public var lastSuccess: [String: Date] = [:]
    /// Connected accounts by status (every status, 0 when none).
    public var accounts: [String: Int] = [:]
    /// Unresolved `rejected_items` by resource (every resource, 0 when none).
    public var unresolvedRejected: [String: Int] = [:]
    /// Per resource and the scope it needs, the accounts whose last run skipped it for lacking that
    /// scope (`sync_state.skipped_scope`; every resource, 0 when none).
    public var skipped: [ResourceScopeKey: Int] = [:]
    public var inbox = WebhookInbox.Summary()

    public struct ResourceScopeKey: Sendable, Hashable {
        public var resource: String
        public var scope: String

        public init(resource: String, scope: String) {
            self.resource = resource
            self.scope = scope
        }
    }

    /// The window `recentRuns` counts over (the index on `started_at` bounds the read to it).
    public static let recentRunsWindow: Duration = .seconds(24 * 3600)
    /// `sync_runs.status` values.
    public static let runStatuses = ["running", "succeeded", "failed", "interrupted", "abandoned"]
    /// `accounts.status` values.
    public static let accountStatuses = ["active", "needs_reconnect", "disconnected"]
    /// The synced tables, from the declarations (the same list the catalog check compares).
    public static var syncedTables: [String] { TableSpec.all.map(\.name) }

    public init() {}

    /// Reads the snapshot at `now` (the recent-runs window ends there).
    public static func read(connection: PostgresConnection, now: Date) async throws -> OperationsSnapshot {
        var snapshot = OperationsSnapshot()
        snapshot.tableRows = try await tableRows(connection: connection)

        snapshot.recentRuns = Dictionary(uniqueKeysWithValues: runStatuses.map { ($0, 0) })
        let since = now.addingTimeInterval(-Double(recentRunsWindow.components.seconds))
        for row in try await connection.execute(
            "SELECT status, count(*) AS n FROM understory.sync_runs WHERE started_at >= $1 GROUP BY status", [since]
        ).rows {
            snapshot.recentRuns[try row["status"].decode(String.self)] = try row["n"].decode(Int.self)
        }

        for row in try await connection.execute(
            "SELECT resource, max(last_success_at) AS at FROM understory.sync_state WHERE last_success_at IS NOT NULL GROUP BY resource"
        ).rows {
            snapshot.lastSuccess[try row["resource"].decode(String.self)] = try row["at"].decode(Date.self)
        }

        snapshot.accounts = Dictionary(uniqueKeysWithValues: accountStatuses.map { ($0, 0) })
        for row in try await connection.execute("SELECT status, count(*) AS n FROM understory.accounts GROUP BY status").rows {
            snapshot.accounts[try row["status"].decode(String.self)] = try row["n"].decode(Int.self)
        }

        snapshot.unresolvedRejected = Dictionary(uniqueKeysWithValues: Resource.allCases.map { ($0.rawValue, 0) })
        for row in try await connection.execute(
            "SELECT resource, count(*) AS n FROM understory.rejected_items WHERE resolved_at IS NULL GROUP BY resource"
        ).rows {
            snapshot.unresolvedRejected[try row["resource"].decode(String.self)] = try row["n"].decode(Int.self)
        }

        snapshot.skipped = Dictionary(uniqueKeysWithValues: Resource.allCases.map { (ResourceScopeKey(resource: $0.rawValue, scope: $0.plans.scope), 0) })
        for row in try await connection.execute(
            "SELECT resource, skipped_scope, count(*) AS n FROM understory.sync_state WHERE skipped_scope IS NOT NULL GROUP BY resource, skipped_scope"
        ).rows {
            let key = ResourceScopeKey(resource: try row["resource"].decode(String.self), scope: try row["skipped_scope"].decode(String.self))
            snapshot.skipped[key] = try row["n"].decode(Int.self)
        }

        snapshot.inbox = try await WebhookInbox(connection: connection).summary()
        return snapshot
    }

    /// Live rows per synced table from the cumulative statistics (`n_live_tup`, kept current by
    /// every committed insert and delete), or `pg_class.reltuples` (set by VACUUM and ANALYZE) when
    /// the statistics know nothing of the table (after a statistics reset); 0 for a table never
    /// analysed nor written.
    static func tableRows(connection: PostgresConnection) async throws -> [TableRows] {
        let names = syncedTables
        var rows: [String: Int] = [:]
        for row in try await connection.execute(
            """
            SELECT c.relname AS name,
                   CASE WHEN coalesce(s.n_live_tup, 0) > 0 OR coalesce(s.n_tup_ins + s.n_tup_del, 0) > 0 THEN s.n_live_tup
                        ELSE greatest(c.reltuples, 0)::bigint END AS n
            FROM pg_class c
            JOIN pg_namespace ns ON ns.oid = c.relnamespace
            LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
            WHERE ns.nspname = 'understory' AND c.relname = ANY($1::text[])
            """,
            [PostgresTextArray(names)]
        ).rows {
            rows[try row["name"].decode(String.self)] = try row["n"].decode(Int.self)
        }
        return names.map { TableRows(table: $0, rows: rows[$0] ?? 0) }
    }
}
