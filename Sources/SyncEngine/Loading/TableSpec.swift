/// How one table is loaded, derived from its declaration (``Table/spec``): the columns a staging
/// table carries and how they reach the target.
struct TableSpec: Sendable {
    /// Table name inside the `understory` schema.
    var name: String
    /// Columns copied into staging, in COPY order (never generated or bookkeeping columns).
    var columns: [String]
    /// Primary-key columns.
    var key: [String]
    /// For columns computed while inserting (e.g. an instant from a local time and a zone): column → SQL over staging columns `s.*`.
    var computed: [(column: String, expression: String)] = []
    /// Whether the table has `_deleted_at` (cleared when a row is written again).
    var hasDeletedAt = false
    /// Reconcile's upsert: the API's version replaces a stored row whenever any stored column
    /// differs (a row edited in the table), not only its `raw` as sync's upsert does. Neither
    /// ever lets an older version win (``NewestWins``).
    var apiWins = false
    /// The table's comment and every column as declared (``Table``): what the catalog check compares.
    var comment = ""
    var declared: [DeclaredColumn] = []
    /// For a table built from its parents' JSON rather than staged (``BatchLoader/replaceDerived``).
    var derivedFrom: JSONArrayRows? = nil

    /// Whether rows reach it through a staging table: not for one derived from its parents' JSON,
    /// nor for one whose every column is computed by SQL (event availability's history).
    var isStaged: Bool { derivedFrom == nil && !columns.isEmpty }

    /// The same table, written by reconcile (see ``apiWins``).
    var reconciling: TableSpec {
        var spec = self
        spec.apiWins = true
        return spec
    }

    var qualifiedName: String { "understory.\(name)" }
    /// The key column naming an item within its account (`id`; `event_id` for event availability,
    /// whose items have no id of their own): what an upsert returns as `id`.
    var idColumn: String { key[key.count - 1] }
    /// Whether the API sends an `updated_at` for these rows (marketing consents have no timestamps:
    /// their upsert writes whatever differs).
    var hasUpdatedAt: Bool { columns.contains("updated_at") }
    /// One staged row per key: the newest `updated_at` wins within a batch (any one without it).
    var newestPerKey: String {
        let keyList = key.joined(separator: ", ")
        return "SELECT DISTINCT ON (\(keyList)) * FROM \(stagingName) ORDER BY \(keyList)\(hasUpdatedAt ? ", updated_at DESC" : "")"
    }
    var stagingName: String { "pg_temp._stage_\(name)" }

    /// Creates the session's staging table once; its rows vanish at every commit or rollback.
    var createStagingSQL: String {
        "CREATE TEMP TABLE IF NOT EXISTS _stage_\(name) ON COMMIT DELETE ROWS AS SELECT \(columns.joined(separator: ", ")) FROM \(qualifiedName) WITH NO DATA"
    }

    var copySQL: String { "COPY \(stagingName) (\(columns.joined(separator: ", "))) FROM STDIN" }

    /// Columns written from staging: the staged ones, the computed ones, and the bookkeeping ones.
    var targetColumns: [String] { columns + computed.map(\.column) + ["_synced_at", "_run_id"] }
    /// What each target column is set to, reading staging as `s`; `runID` is the run id's parameter.
    func selectList(runID: String = "$1") -> [String] { columns.map { "s.\($0)" } + computed.map(\.expression) + ["now()", "\(runID)::bigint"] }

    /// SQL: the staged version `incoming` is written over the stored row `stored` — the one test
    /// the upsert, reconcile's drift check and the changed-parents query
    /// (``BatchLoader/stagedChanges(_:)``) share: the stored row is not newer (``storedNotNewer(_:than:strictly:)``)
    /// and it `differs` (by default: its `raw` does) or is marked deleted.
    func replaces(_ stored: String, with incoming: String, differs: String? = nil) -> String {
        let differs = (differs ?? "\(stored).raw IS DISTINCT FROM \(incoming).raw") + (hasDeletedAt ? " OR \(stored)._deleted_at IS NOT NULL" : "")
        return hasUpdatedAt ? "\(storedNotNewer(stored, than: incoming)) AND (\(differs))" : differs
    }

    /// SQL: the stored row `stored` is not newer than `incoming` (``NewestWins``), or strictly older
    /// with `strictly`; always true for rows without `updated_at`, which have no order.
    func storedNotNewer(_ stored: String, than incoming: String, strictly: Bool = false) -> String {
        hasUpdatedAt ? NewestWins.storedNotNewer(stored, than: incoming, strictly: strictly) : "true"
    }

    /// Upserts staged rows: one row per key (the newest `updated_at` wins within a batch), never
    /// letting an older version overwrite a newer one (``NewestWins``), never rewriting an
    /// unchanged row.
    /// `$1` is the run id. Returns one row per inserted or updated key: `id`, `inserted`.
    var upsertSQL: String {
        let updates = targetColumns
            .filter { !key.contains($0) }
            .map { "\($0) = excluded.\($0)" } + (hasDeletedAt ? ["_deleted_at = NULL"] : [])
        let keyList = key.joined(separator: ", ")
        let differs = apiWins
            ? "(\(comparedColumns.map { "t.\($0)" }.joined(separator: ", "))) IS DISTINCT FROM (\(comparedColumns.map { "excluded.\($0)" }.joined(separator: ", ")))"
            : nil
        return """
            INSERT INTO \(qualifiedName) AS t (\(targetColumns.joined(separator: ", ")))
            SELECT \(selectList().joined(separator: ", "))
            FROM (\(newestPerKey)) AS s
            ON CONFLICT (\(keyList)) DO UPDATE SET \(updates.joined(separator: ", "))
            WHERE \(replaces("t", with: "excluded", differs: differs))
            RETURNING t.\(idColumn) AS id, (xmax = 0) AS inserted
            """
    }

    /// Columns whose stored value must equal what the API sent: every staged and computed column but the key.
    private var comparedColumns: [String] { (columns + computed.map(\.column)).filter { !key.contains($0) } }

    /// Staged rows (one per key, the newest) that are absent from the table, or — unless the stored
    /// row is newer (``NewestWins``): then the table is ahead of the list — marked deleted there or
    /// differing from it in any compared column: `id`, `missing` (absent or marked deleted).
    /// Exactly the rows reconcile's upsert writes.
    var driftSQL: String {
        let join = key.map { "t.\($0) = s.\($0)" }.joined(separator: " AND ")
        let stored = comparedColumns.map { "t.\($0)" }.joined(separator: ", ")
        let incoming = columns.filter { !key.contains($0) }.map { "s.\($0)" } + computed.map(\.expression)
        let deleted = hasDeletedAt ? " OR t._deleted_at IS NOT NULL" : ""
        return """
            SELECT s.\(idColumn) AS id, (t.\(idColumn) IS NULL\(deleted)) AS missing
            FROM (\(newestPerKey)) AS s
            LEFT JOIN \(qualifiedName) AS t ON \(join)
            WHERE t.\(idColumn) IS NULL OR (\(replaces("t", with: "s", differs: "(\(stored)) IS DISTINCT FROM (\(incoming.joined(separator: ", ")))")))
            """
    }

    /// Parents (`$2`, a `text[]`, of account `$1`) whose staged child rows differ from the stored
    /// ones: a row added, removed or changed in any staged column. Returns `parent_id`.
    func childDriftSQL(parentColumn: String) -> String {
        let list = columns.joined(separator: ", ")
        let stored = "SELECT \(list) FROM \(qualifiedName) WHERE company_id = $1 AND \(parentColumn) = ANY($2::text[])"
        let staged = "SELECT \(list) FROM \(stagingName) WHERE \(parentColumn) = ANY($2::text[])"
        return """
            SELECT DISTINCT \(parentColumn) AS parent_id FROM (
                (\(staged) EXCEPT \(stored))
                UNION ALL
                (\(stored) EXCEPT \(staged))
            ) AS d
            """
    }

    /// Inserts the staged child rows of parents `$3` (a `text[]`) of account `$2` as they are (the
    /// caller first deleted those parents' old children). `$1` is the run id.
    func insertChildrenSQL(parentColumn: String) -> String {
        """
            INSERT INTO \(qualifiedName) (\(targetColumns.joined(separator: ", ")))
            SELECT \(selectList().joined(separator: ", ")) FROM \(stagingName) AS s
            WHERE s.company_id = $2 AND s.\(parentColumn) = ANY($3::text[])
            ON CONFLICT (\(key.joined(separator: ", "))) DO NOTHING
            """
    }
}

extension TableSpec {
    /// Every synced table, from the declarations (the catalog check compares each with the migrated one).
    static var all: [TableSpec] { ResourceCatalog.current.tables }
}
