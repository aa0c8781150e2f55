import PostgresClient
import UnderstoryAPI

/// A synced table, declared once: its name, comment, key and columns (each with its type, comment
/// and value). ``spec`` derives the SQL that loads it; ``append(_:companyID:to:)`` stages one item
/// with the same columns in the same order.
struct Table<Model: Sendable>: Sendable {
    /// Table name inside the `understory` schema.
    let name: String
    /// The table's `COMMENT ON TABLE`, word for word.
    let comment: String
    /// Primary-key columns.
    let key: [String]
    let columns: [Column<Model>]
    /// How a rejected child row is named in the rejection of its parent (`line item 2`, `refund r1`);
    /// nil for a top-level table (the item itself is rejected).
    let childLabel: (@Sendable (StagedItem<Model>) -> String)?
    /// The SQL that loads this table (derived once, from the columns).
    let spec: TableSpec

    /// `derivedFrom`: for a table never staged, the array of the stored parents' JSON its rows are built from.
    init(
        name: String, comment: String, key: [String], columns: [Column<Model>],
        childLabel: (@Sendable (StagedItem<Model>) -> String)? = nil, derivedFrom: JSONArrayRows? = nil
    ) {
        self.name = name
        self.comment = comment
        self.key = key
        self.columns = columns
        self.childLabel = childLabel
        spec = Self.spec(name: name, comment: comment, key: key, columns: columns, derivedFrom: derivedFrom)
    }

    private static func spec(name: String, comment: String, key: [String], columns: [Column<Model>], derivedFrom: JSONArrayRows?) -> TableSpec {
        var staged: [String] = [], computed: [(column: String, expression: String)] = [], hasDeletedAt = false
        for column in columns {
            switch column.source {
            case .item: staged.append(column.name)
            case .sql(let expression): computed.append((column.name, expression))
            case .deletedAt: hasDeletedAt = true
            case .generated, .syncedAt, .runID: break
            }
        }
        return TableSpec(
            name: name, columns: staged, key: key, computed: computed, hasDeletedAt: hasDeletedAt,
            comment: comment, declared: columns.map { DeclaredColumn(name: $0.name, type: $0.type, comment: $0.comment) },
            derivedFrom: derivedFrom
        )
    }

    /// Appends one item as a staging row, in the order of ``spec``'s COPY column list. Every value
    /// is taken (and checked) before anything is appended, so a rejected item leaves nothing behind.
    func append(_ item: Fetched<Model>, companyID: String, to buffer: inout CopyBuffer) throws {
        try append(StagedItem(fetched: item, companyID: companyID), to: &buffer)
    }

    /// Appends one item under a parent it does not name itself (an event's availability under the
    /// experience whose list was asked for).
    func append(_ item: Fetched<Model>, companyID: String, parentID: String, to buffer: inout CopyBuffer) throws {
        try append(StagedItem(fetched: item, companyID: companyID, parentID: parentID), to: &buffer)
    }

    /// Appends the children of one parent, numbered from 1 in the order the API sent them. A child
    /// that cannot be stored throws ``ItemRejection`` naming it (see ``childLabel``).
    func append(children: [Fetched<Model>], parentID: String, companyID: String, to buffer: inout CopyBuffer) throws {
        for (index, child) in children.enumerated() {
            try append(StagedItem(fetched: child, companyID: companyID, parentID: parentID, position: index + 1), to: &buffer)
        }
    }

    private func append(_ item: StagedItem<Model>, to buffer: inout CopyBuffer) throws {
        var row: [String?] = []
        row.reserveCapacity(columns.count)
        do {
            for column in columns {
                if case .item(let value) = column.source { row.append(try value(item)) }
            }
        } catch let rejection as ItemRejection {
            guard let childLabel else { throw rejection }
            throw ItemRejection("\(childLabel(item)): \(rejection.reason)")
        }
        buffer.appendRow(row)
    }
}
