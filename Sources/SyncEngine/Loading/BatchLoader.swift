import PostgresClient
import UnderstoryAPI

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

    /// Ids of staged parent rows that are new or differ from the stored version (and are not older,
    /// ``NewestWins``), or come back after being marked deleted (their children were removed then):
    /// the parents whose children are fetched. Read before the upsert; which of them get their
    /// children replaced is decided after it (``standingParents(_:companyID:parentIDs:)``).
    func stagedChanges(_ spec: TableSpec) async throws -> [String] {
        let sql = """
            SELECT s.\(spec.idColumn) AS id FROM (\(spec.newestPerKey)) AS s
            LEFT JOIN \(spec.qualifiedName) AS t ON t.company_id = s.company_id AND t.\(spec.idColumn) = s.\(spec.idColumn)
            WHERE t.\(spec.idColumn) IS NULL OR (\(spec.replaces("t", with: "s")))
            """
        return try await connection.execute(sql).rows.map { try $0["id"].decode(String.self) }
    }

    /// Of the parent versions `ids` (stamped `updatedAts`) of account `companyID`, those whose
    /// stored row is missing or strictly older: a guess, outside any transaction, at which
    /// parents will change (children are prefetched for them).
    func missingOrOlder(_ spec: TableSpec, companyID: String, ids: [String], updatedAts: [Timestamp]) async throws -> [String] {
        try await connection.execute(
            """
            SELECT s.id FROM unnest($2::text[], $3::timestamptz[]) AS s(id, updated_at)
            LEFT JOIN \(spec.qualifiedName) AS t ON t.company_id = $1 AND t.id = s.id
            WHERE t.id IS NULL OR \(spec.storedNotNewer("t", than: "s", strictly: true))
            """,
            [companyID, PostgresTextArray(ids), PostgresTextArray(updatedAts.map(\.rfc3339))]
        ).rows.map { try $0["id"].decode(String.self) }
    }

    /// After the parents' upsert: the staged parents among `parentIDs` whose stored row is not newer
    /// than the staged version (``NewestWins``) — the ones just written, or unchanged — locked
    /// until the transaction ends. Only their children may be replaced with children fetched for
    /// the staged version: a writer that stored a newer version first keeps its children, and one
    /// that comes later waits for this transaction and then finds its version newer.
    func standingParents(_ spec: TableSpec, companyID: String, parentIDs: [String]) async throws -> [String] {
        guard !parentIDs.isEmpty else { return [] }
        let sql = """
            SELECT t.id FROM \(spec.qualifiedName) AS t
            JOIN (\(spec.newestPerKey)) AS s ON t.company_id = s.company_id AND t.id = s.id
            WHERE t.company_id = $1 AND t.id = ANY($2::text[]) AND \(spec.storedNotNewer("t", than: "s"))
            ORDER BY t.id
            FOR UPDATE OF t
            """
        return try await connection.execute(sql, [companyID, PostgresTextArray(parentIDs)]).rows.map { try $0["id"].decode(String.self) }
    }

    /// Replaces all child rows of the given parents with what is staged for them in `spec`.
    func replaceChildren(_ spec: TableSpec, parentColumn: String, companyID: String, parentIDs: [String]) async throws -> Int {
        try await replaceRows(
            spec, column: parentColumn, companyID: companyID, parentIDs: parentIDs, insert: spec.insertChildrenSQL(parentColumn: parentColumn),
            [runID, companyID, PostgresTextArray(parentIDs)]
        )
    }

    /// Rebuilds the rows of a derived table (``TableSpec/derivedFrom``: event sessions, ticket
    /// items) for the given parents from their stored JSON, column by column as declared.
    func replaceDerived(_ spec: TableSpec, companyID: String, parentIDs: [String]) async throws -> Int {
        guard let from = spec.derivedFrom else { preconditionFailure("\(spec.name) is not derived from its parents' JSON") }
        let parent = "\(from.alias).raw -> '\(from.array)'"
        let sql = """
            INSERT INTO \(spec.qualifiedName) (\(spec.targetColumns.joined(separator: ", ")))
            SELECT \(spec.selectList(runID: "$3").joined(separator: ", "))
            FROM understory.\(from.parent) AS \(from.alias)
            CROSS JOIN LATERAL jsonb_array_elements(
                CASE WHEN jsonb_typeof(\(parent)) = 'array' THEN \(parent) ELSE '[]'::jsonb END
            ) WITH ORDINALITY AS x(\(from.element), n)
            WHERE \(from.alias).company_id = $1 AND \(from.alias).\(from.parentKey) = ANY($2::text[])
            ON CONFLICT (\(spec.key.joined(separator: ", "))) DO NOTHING
            """
        return try await replaceRows(
            spec, column: from.column, companyID: companyID, parentIDs: parentIDs, insert: sql, [companyID, PostgresTextArray(parentIDs), runID]
        )
    }

    /// The one way child rows are replaced: the parents' rows go, then `insert` writes the new ones.
    private func replaceRows(
        _ spec: TableSpec, column: String, companyID: String, parentIDs: [String], insert: String, _ parameters: [(any PostgresEncodable)?]
    ) async throws -> Int {
        guard !parentIDs.isEmpty else { return 0 }
        try await connection.execute(
            "DELETE FROM \(spec.qualifiedName) WHERE company_id = $1 AND \(column) = ANY($2::text[])",
            [companyID, PostgresTextArray(parentIDs)]
        )
        return try await connection.execute(insert, parameters).affectedRows
    }
}

/// Where a derived table's rows come from: one row per element of an array in each stored parent
/// row's `raw` (event sessions from `events.raw->'sessions'`, ticket items from
/// `booking_tickets.raw->'items'`). The declared columns' SQL reads the parent by `alias`, the
/// element as `x.<element>` and its position as `x.n`.
struct JSONArrayRows: Sendable {
    /// The parent table (in schema `understory`) and its alias.
    let parent: String
    let alias: String
    /// The array's key in the parent's `raw`, and the element's name.
    let array: String
    let element: String
    /// The parent's column matched against the parent ids given, and this table's column holding them.
    let parentKey: String
    let column: String
}
