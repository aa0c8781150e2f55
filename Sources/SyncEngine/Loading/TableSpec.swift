/// How one table is loaded: the columns a staging table carries and how they reach the target.
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
    /// differs, even one whose `updated_at` is newer (a row edited in the table, or a future
    /// `updated_at` the API has since corrected). Sync's upsert never lets an older version win.
    var apiWins = false

    /// The same table, written by reconcile (see ``apiWins``).
    var reconciling: TableSpec {
        var spec = self
        spec.apiWins = true
        return spec
    }

    var qualifiedName: String { "understory.\(name)" }
    var stagingName: String { "pg_temp._stage_\(name)" }

    /// Creates the session's staging table once; its rows vanish at every commit or rollback.
    var createStagingSQL: String {
        "CREATE TEMP TABLE IF NOT EXISTS _stage_\(name) ON COMMIT DELETE ROWS AS SELECT \(columns.joined(separator: ", ")) FROM \(qualifiedName) WITH NO DATA"
    }

    var copySQL: String { "COPY \(stagingName) (\(columns.joined(separator: ", "))) FROM STDIN" }

    /// Columns written from staging: the staged ones, the computed ones, and the bookkeeping ones.
    private var targetColumns: [String] { columns + computed.map(\.column) + ["_synced_at", "_run_id"] }
    /// What each target column is set to, reading staging as `s`; `$1` is the run id.
    private var selectList: [String] { columns.map { "s.\($0)" } + computed.map(\.expression) + ["now()", "$1::bigint"] }

    /// Upserts staged rows: one row per key (the newest `updated_at` wins within a batch), never
    /// letting an older version overwrite a newer one, never rewriting an unchanged row. A stored
    /// row stamped in the future (an API clock bug) is not "newer": the next version replaces it.
    /// `$1` is the run id. Returns one row per inserted or updated key: `id`, `inserted`.
    var upsertSQL: String {
        let updates = targetColumns
            .filter { !key.contains($0) }
            .map { "\($0) = excluded.\($0)" } + (hasDeletedAt ? ["_deleted_at = NULL"] : [])
        let keyList = key.joined(separator: ", ")
        let revived = hasDeletedAt ? " OR t._deleted_at IS NOT NULL" : ""
        let condition = apiWins
            ? "(\(comparedColumns.map { "t.\($0)" }.joined(separator: ", "))) IS DISTINCT FROM (\(comparedColumns.map { "excluded.\($0)" }.joined(separator: ", ")))\(revived)"
            : "(t.updated_at <= excluded.updated_at OR t.updated_at > \(FutureDated.horizonSQL)) AND (t.raw IS DISTINCT FROM excluded.raw\(revived))"
        return """
            INSERT INTO \(qualifiedName) AS t (\(targetColumns.joined(separator: ", ")))
            SELECT \(selectList.joined(separator: ", "))
            FROM (SELECT DISTINCT ON (\(keyList)) * FROM \(stagingName) ORDER BY \(keyList), updated_at DESC) AS s
            ON CONFLICT (\(keyList)) DO UPDATE SET \(updates.joined(separator: ", "))
            WHERE \(condition)
            RETURNING t.id, (xmax = 0) AS inserted
            """
    }

    /// Columns whose stored value must equal what the API sent: every staged and computed column but the key.
    private var comparedColumns: [String] { (columns + computed.map(\.column)).filter { !key.contains($0) } }

    /// Staged rows (one per key, the newest) that are absent from the table, marked deleted there,
    /// or differ from it in any compared column: `id`, `missing` (absent or marked deleted).
    var driftSQL: String {
        let keyList = key.joined(separator: ", ")
        let join = key.map { "t.\($0) = s.\($0)" }.joined(separator: " AND ")
        let stored = comparedColumns.map { "t.\($0)" }.joined(separator: ", ")
        let incoming = columns.filter { !key.contains($0) }.map { "s.\($0)" } + computed.map(\.expression)
        let deleted = hasDeletedAt ? " OR t._deleted_at IS NOT NULL" : ""
        return """
            SELECT s.id, (t.id IS NULL\(deleted)) AS missing
            FROM (SELECT DISTINCT ON (\(keyList)) * FROM \(stagingName) ORDER BY \(keyList), updated_at DESC) AS s
            LEFT JOIN \(qualifiedName) AS t ON \(join)
            WHERE t.id IS NULL\(deleted) OR (\(stored)) IS DISTINCT FROM (\(incoming.joined(separator: ", ")))
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

    /// Inserts staged child rows as they are (the caller first deleted the parents' old children). `$1` is the run id.
    var insertChildrenSQL: String {
        """
            INSERT INTO \(qualifiedName) (\(targetColumns.joined(separator: ", ")))
            SELECT \(selectList.joined(separator: ", ")) FROM \(stagingName) AS s
            ON CONFLICT (\(key.joined(separator: ", "))) DO NOTHING
            """
    }
}

extension TableSpec {
    static let orders = TableSpec(
        name: "orders",
        columns: [
            "company_id", "id", "number", "status", "payment_status", "customer_type", "customer_name",
            "customer_company_name", "customer_email", "customer_phone", "customer_country", "origin_type", "origin_id",
            "currency", "total_amount", "total_amount_minor", "discount_amount", "vat_amount", "created_at", "updated_at", "raw",
        ],
        key: ["company_id", "id"], hasDeletedAt: true
    )

    static let bookings = TableSpec(
        name: "bookings",
        columns: [
            "company_id", "id", "status", "event_id", "experience_id", "customer_type", "customer_name",
            "customer_company_name", "customer_email", "customer_phone", "customer_country", "source", "locale",
            "created_at", "updated_at", "raw",
        ],
        key: ["company_id", "id"], hasDeletedAt: true
    )

    /// `starts_at`/`ends_at` are computed from local wall-clock times and the IANA zone; an unknown zone gives NULL, not an error.
    static let events = TableSpec(
        name: "events",
        columns: [
            "company_id", "id", "state", "visibility", "experience_id", "capacity_total", "capacity_reserved",
            "start_local", "timezone", "session_count", "created_at", "updated_at", "raw",
        ],
        key: ["company_id", "id"],
        computed: [
            ("starts_at", "understory.local_to_instant(s.start_local, s.timezone)"),
            ("ends_at", "understory.local_to_instant((s.raw -> 'sessions' -> -1 ->> 'end_time')::timestamp, coalesce(s.raw -> 'sessions' -> -1 ->> 'timezone', s.timezone))"),
        ],
        hasDeletedAt: true
    )

    static let experiences = TableSpec(
        name: "experiences",
        columns: ["company_id", "id", "type", "state", "name", "created_at", "updated_at", "raw"],
        key: ["company_id", "id"], hasDeletedAt: true
    )

    static let orderLineItems = TableSpec(
        name: "order_line_items",
        columns: [
            "company_id", "order_id", "line_number", "product_type", "product_id", "experience_id", "quantity", "currency",
            "unit_price", "unit_price_minor", "unit_vat_amount", "raw",
        ],
        key: ["company_id", "order_id", "line_number"]
    )

    static let orderRefunds = TableSpec(
        name: "order_refunds",
        columns: [
            "company_id", "order_id", "id", "status", "transaction_id", "currency", "amount", "amount_minor", "created_at",
            "updated_at", "raw",
        ],
        key: ["company_id", "order_id", "id"]
    )

    static let orderTransactions = TableSpec(
        name: "order_transactions",
        columns: [
            "company_id", "order_id", "id", "status", "provider", "currency", "amount", "amount_minor", "details_type",
            "gift_card_id", "created_at", "updated_at", "raw",
        ],
        key: ["company_id", "order_id", "id"]
    )
}
