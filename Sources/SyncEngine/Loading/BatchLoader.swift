import PostgresClient

/// Loads batches of staged rows on one connection: COPY into a session-local staging table, then
/// one set-based upsert into the target. Always called inside a transaction that the caller owns,
/// so the data and the sync position commit together.
struct BatchLoader {
    let connection: PostgresConnection
    let runID: Int64

    /// Result of upserting one batch.
    struct Outcome {
        var inserted = 0
        var updated = 0
        /// Keys (ids) that were inserted or updated.
        var changedIDs: [String] = []
    }

    /// Creates the staging tables this loader needs (once per session; cheap afterwards).
    func prepare(_ specs: [TableSpec]) async throws {
        for spec in specs { try await connection.execute(spec.createStagingSQL) }
    }

    /// COPYs `rows` into `spec`'s staging table.
    func stage(_ spec: TableSpec, _ rows: CopyBuffer) async throws {
        guard rows.rowCount > 0 else { return }
        try await connection.copyIn(spec.copySQL, buffer: rows)
    }

    /// Takes rows out of `spec`'s staging table again (items rejected after staging).
    func unstage(_ spec: TableSpec, companyID: String, ids: [String]) async throws {
        try await connection.execute(
            "DELETE FROM \(spec.stagingName) WHERE company_id = $1 AND id = ANY($2::text[])", [companyID, PostgresTextArray(ids)]
        )
    }

    /// Upserts what is staged for `spec` into its table.
    func upsertStaged(_ spec: TableSpec) async throws -> Outcome {
        let result = try await connection.execute(spec.upsertSQL, [runID])
        var outcome = Outcome()
        outcome.changedIDs.reserveCapacity(result.rows.count)
        for row in result.rows {
            if try row["inserted"].decode(Bool.self) { outcome.inserted += 1 } else { outcome.updated += 1 }
            outcome.changedIDs.append(try row["id"].decode(String.self))
        }
        return outcome
    }

    /// Ids of staged parent rows that are new or differ from the stored version (and are not older),
    /// or come back after being marked deleted (their children were removed then).
    func stagedChanges(_ spec: TableSpec) async throws -> [String] {
        let sql = """
            SELECT s.id FROM (SELECT DISTINCT ON (company_id, id) * FROM \(spec.stagingName) ORDER BY company_id, id, updated_at DESC) AS s
            LEFT JOIN \(spec.qualifiedName) AS t ON t.company_id = s.company_id AND t.id = s.id
            WHERE t.id IS NULL OR ((t.updated_at <= s.updated_at OR t.updated_at > \(FutureDated.horizonSQL)) AND (t.raw IS DISTINCT FROM s.raw\(spec.hasDeletedAt ? " OR t._deleted_at IS NOT NULL" : "")))
            """
        return try await connection.execute(sql).rows.map { try $0["id"].decode(String.self) }
    }

    /// Replaces all child rows of the given parents with what is staged for `spec`.
    func replaceChildren(_ spec: TableSpec, parentColumn: String, companyID: String, parentIDs: [String]) async throws -> Int {
        guard !parentIDs.isEmpty else { return 0 }
        try await connection.execute(
            "DELETE FROM \(spec.qualifiedName) WHERE company_id = $1 AND \(parentColumn) = ANY($2::text[])",
            [companyID, PostgresTextArray(parentIDs)]
        )
        return try await connection.execute(spec.insertChildrenSQL, [runID]).affectedRows
    }

    /// Rebuilds `event_sessions` of the given events from their stored `raw` JSON, column by column
    /// as ``Tables/eventSessions`` declares them.
    func replaceEventSessions(companyID: String, eventIDs: [String]) async throws -> Int {
        guard !eventIDs.isEmpty else { return 0 }
        try await connection.execute(
            "DELETE FROM understory.event_sessions WHERE company_id = $1 AND event_id = ANY($2::text[])",
            [companyID, PostgresTextArray(eventIDs)]
        )
        let sessions = TableSpec.eventSessions
        let sql = """
            INSERT INTO understory.event_sessions (\(sessions.targetColumns.joined(separator: ", ")))
            SELECT \(sessions.selectList(runID: "$3").joined(separator: ", "))
            FROM understory.events AS e
            CROSS JOIN LATERAL jsonb_array_elements(
                CASE WHEN jsonb_typeof(e.raw -> 'sessions') = 'array' THEN e.raw -> 'sessions' ELSE '[]'::jsonb END
            ) WITH ORDINALITY AS x(s, n)
            WHERE e.company_id = $1 AND e.id = ANY($2::text[])
            ON CONFLICT (\(sessions.key.joined(separator: ", "))) DO NOTHING
            """
        return try await connection.execute(sql, [companyID, PostgresTextArray(eventIDs), runID]).affectedRows
    }
}
