import PostgresClient

/// Turns a `lock_timeout` expiry (SQLSTATE 55P03) into an error that names the resource's table
/// and the sessions holding conflicting locks on it (from `pg_locks` and `pg_stat_activity`, as
/// far as this role may see them), so an operator can find the blocker.
enum LockTimeout {
    /// Lock modes that conflict with what a sync takes (ROW EXCLUSIVE to write, ACCESS SHARE to read).
    static let blockingModes = ["ShareLock", "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock"]

    static func error(_ error: PostgresError, resource: Resource, on connection: PostgresConnection) async -> SyncError {
        let table = resource.plans.table.qualifiedName
        var waited = "lock_timeout"
        if let setting = try? await connection.execute("SELECT current_setting('lock_timeout') AS t").rows.first?["t"].string {
            waited = "lock_timeout (\(setting))"
        }
        let holders = (try? await self.holders(resource: resource, on: connection)) ?? []
        let heldBy = holders.isEmpty
            ? "no conflicting table lock is visible now (a row lock of another transaction, or one this role cannot see)"
            : "held by " + holders.joined(separator: "; ")
        return SyncError(
            .lockTimeout,
            "\(table): waited longer than \(waited) for a lock, \(heldBy); \(resource) was not synced this run (the other resources were), retry later",
            resource: resource, underlying: error
        )
    }

    /// "pid 123 (application "psql", idle in transaction for 42 s, AccessExclusiveLock on understory.bookings)", …
    static func holders(resource: Resource, on connection: PostgresConnection) async throws -> [String] {
        // The resource's table and its child tables (order_line_items, event_sessions, …).
        let plans = resource.plans
        let relations = [plans.table.name] + plans.childTables.map(\.spec.name)
        let rows = try await connection.execute(
            """
            SELECT n.nspname || '.' || c.relname AS relation, l.mode, l.pid,
                   a.application_name, a.state, a.usename,
                   extract(epoch FROM now() - coalesce(a.xact_start, a.query_start, a.backend_start))::bigint AS seconds
            FROM pg_locks l
            JOIN pg_class c ON c.oid = l.relation
            JOIN pg_namespace n ON n.oid = c.relnamespace
            LEFT JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'relation' AND l.granted AND l.pid <> pg_backend_pid()
              AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND n.nspname = 'understory' AND c.relname = ANY($2::text[])
              AND l.mode IN (\(blockingModes.map { "'\($0)'" }.joined(separator: ", ")))
            ORDER BY c.relname = $1 DESC, seconds DESC NULLS LAST, l.pid
            """,
            [plans.table.name, PostgresTextArray(relations)]
        ).rows
        return rows.map { row in
            var facts = [String]()
            if let application = row["application_name"].string, !application.isEmpty { facts.append("application \"\(application)\"") }
            if let user = row["usename"].string { facts.append("user \(user)") }
            if let state = row["state"].string, !state.isEmpty {
                facts.append(state + (row["seconds"].string.map { " for \($0) s" } ?? ""))
            }
            facts.append("\(row["mode"].string ?? "a lock") on \(row["relation"].string ?? "?")")
            return "pid \(row["pid"].string ?? "?") (\(facts.joined(separator: ", ")))"
        }
    }
}
