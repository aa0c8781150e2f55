import PostgresClient
import UnderstoryAPI

/// One column of a synced table: its name, SQL type and comment exactly as the migrations create
/// them, and where its value comes from, side by side. The staging table, the COPY column list and
/// the upsert are all derived from the declared columns, so a column cannot be separated from its
/// value; `TableCatalogTests` fails when the migrated table disagrees with the declaration.
struct Column<Model: Sendable>: Sendable {
    /// Where a column's value comes from.
    enum Source: Sendable {
        /// Taken from the item in Swift and staged (COPY). Throws ``ItemRejection`` for a value the
        /// column cannot hold; the item is then rejected alone.
        case item(@Sendable (StagedItem<Model>) throws -> String?)
        /// Computed while inserting, by SQL over the staged row `s` (or, for a table written by a
        /// statement of its own, over that statement's aliases).
        case sql(String)
        /// `GENERATED ALWAYS … STORED`: PostgreSQL computes it; never written.
        case generated
        /// Bookkeeping: when understory-sync last wrote the row.
        case syncedAt
        /// Bookkeeping: the run that last wrote the row.
        case runID
        /// Bookkeeping: when the row was confirmed gone from the API (cleared when written again).
        case deletedAt
    }

    /// Column name.
    let name: String
    /// The type as PostgreSQL's `format_type` spells it, followed by ` NOT NULL` when the column is.
    let type: String
    /// The column's `COMMENT ON COLUMN`, word for word.
    let comment: String
    let source: Source

    init(_ name: String, _ type: String, _ comment: String, value: @escaping @Sendable (StagedItem<Model>) throws -> String?) {
        self.init(name: name, type: type, comment: comment, source: .item(value))
    }

    init(_ name: String, _ type: String, _ comment: String, sql: String) {
        self.init(name: name, type: type, comment: comment, source: .sql(sql))
    }

    private init(name: String, type: String, comment: String, source: Source) {
        self.name = name
        self.type = type
        self.comment = comment
        self.source = source
    }

    /// A column PostgreSQL computes (`GENERATED ALWAYS AS (…) STORED`).
    static func generated(_ name: String, _ type: String, _ comment: String) -> Column {
        Column(name: name, type: type, comment: comment, source: .generated)
    }

    /// The account column every table starts with.
    static func companyID(_ comment: String) -> Column {
        Column("company_id", "text NOT NULL", comment) { $0.companyID }
    }

    /// The item exactly as the API sent it.
    static func raw(_ comment: String) -> Column {
        Column("raw", "jsonb NOT NULL", comment) { $0.fetched.raw }
    }

    static var syncedAt: Column {
        Column(name: "_synced_at", type: "timestamp with time zone NOT NULL", comment: "When understory-sync last wrote this row.", source: .syncedAt)
    }

    static var runID: Column {
        Column(name: "_run_id", type: "bigint", comment: "sync_runs.id of the run that last wrote this row.", source: .runID)
    }

    static func deletedAt(_ comment: String) -> Column {
        Column(name: "_deleted_at", type: "timestamp with time zone", comment: comment, source: .deletedAt)
    }

    /// The customer columns of a row that carries a ``Customer`` (orders, bookings), in table order.
    static func customer(_ customer: @escaping @Sendable (Model) -> Customer?) -> [Column] {
        [
            Column("customer_type", "text", "PRIVATE or COMPANY.") { customer($0.model)?.customerType?.rawValue },
            Column("customer_name", "text", "Customer full name (private customers).") { customer($0.model).flatMap { $0.fullName ?? $0.name } },
            Column("customer_company_name", "text", "Company name (company customers).") { customer($0.model)?.companyName },
            Column("customer_email", "text", "Customer e-mail address.") { customer($0.model)?.email },
            Column("customer_phone", "text", "Customer phone number.") { customer($0.model)?.phone },
            Column("customer_country", "text", "Country of the customer address.") { customer($0.model)?.address?.country },
        ]
    }
}

/// What a column's value is taken from: the item, its account, and for a child row its parent and
/// its position among the parent's children (from 1).
struct StagedItem<Model: Sendable> {
    let fetched: Fetched<Model>
    let companyID: String
    var parentID = ""
    var position = 0

    var model: Model { fetched.model }
}

/// A declared column without its value: what the catalog check and the docs read.
struct DeclaredColumn: Sendable, Hashable {
    let name: String
    let type: String
    let comment: String
}
