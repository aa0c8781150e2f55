import Foundation
import Logging
import PostgresClient
@testable import SyncEngine
import SyncTestSupport
import Testing
import UnderstoryAPI
import UnderstorySimulator

@Suite("table declarations against the migrated catalog")
struct TableCatalogTests {
    @Test("every declared table matches the migrated one: its comment, and each column's name, position, type and comment")
    func declarationsMatchCatalog() async throws {
        try await Self.withMigratedDatabase { connection in
            for spec in TableSpec.all {
                let differences = try await Self.catalogDifferences(spec, on: connection)
                #expect(differences.isEmpty, "\(spec.name): \(differences.joined(separator: "; "))")
            }
        }
    }

    @Test("the README's schema table for analysts lists every declared table")
    func readmeListsEveryTable() throws {
        let readme = try String(contentsOf: CitusLayoutTests.root.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(readme.range(of: "## Schema for analysts")).upperBound
        let schema = readme[section...].prefix { _ in true }
        for spec in TableSpec.all {
            #expect(schema.contains("| [`\(spec.name)`]("), "README's schema table lacks \(spec.name)")
        }
    }

    @Test("the catalog check fails a declaration whose columns are reordered, renamed or retyped")
    func catalogCheckCatchesDisagreement() async throws {
        try await Self.withMigratedDatabase { connection in
            var columns = Tables.bookings.columns
            columns.swapAt(3, 4)
            let reordered = Table<Booking>(name: "bookings", comment: Tables.bookings.comment, key: ["company_id", "id"], columns: columns)
            let reorderedDifferences = try await Self.catalogDifferences(reordered.spec, on: connection)
            #expect(!reorderedDifferences.isEmpty)

            var retyped = Tables.bookings.columns
            retyped[2] = Column("status", "integer NOT NULL", retyped[2].comment) { _ in "1" }
            let wrongType = Table<Booking>(name: "bookings", comment: Tables.bookings.comment, key: ["company_id", "id"], columns: retyped)
            let typeDifferences = try await Self.catalogDifferences(wrongType.spec, on: connection)
            #expect(typeDifferences == ["column 3: declared status integer NOT NULL, migrated status text NOT NULL"])

            let recommented = Table<Booking>(name: "bookings", comment: "Something else.", key: ["company_id", "id"], columns: Tables.bookings.columns)
            let commentDifferences = try await Self.catalogDifferences(recommented.spec, on: connection)
            #expect(commentDifferences.count == 1)
        }
    }

    @Test("a column's value travels with it: a declaration in another column order stages the same row")
    func valueFollowsItsColumn() async throws {
        try await SyncHarness.with { harness in
            let id = try #require(harness.simulator.truth().bookings.keys.sorted().first)
            let booking = try await harness.client.booking(id: id)
            let reversed = Table<Booking>(
                name: "bookings", comment: Tables.bookings.comment, key: ["company_id", "id"], columns: Tables.bookings.columns.reversed()
            )
            try await PostgresConnection.withConnection(harness.database, logger: harness.logger) { connection in
                var staged: [String] = []
                for table in [Tables.bookings, reversed] {
                    var rows = CopyBuffer()
                    try table.append(booking, companyID: "c1", to: &rows)
                    let spec = table.spec
                    try await connection.withTransaction { connection in
                        try await connection.execute(spec.createStagingSQL)
                        try await connection.copyIn(spec.copySQL, buffer: rows)
                        staged.append(try await connection.execute("SELECT to_jsonb(s)::text AS row FROM \(spec.stagingName) AS s").rows[0]["row"].decode(String.self))
                    }
                }
                #expect(staged[0] == staged[1])
                #expect(staged[0].contains("\"id\": \"\(id)\""))
            }
        }
    }

    /// How the migrated table differs from its declaration; empty when they agree.
    static func catalogDifferences(_ spec: TableSpec, on connection: PostgresConnection) async throws -> [String] {
        let rows = try await connection.execute(
            """
            SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END AS type,
                   coalesce(col_description(c.oid, a.attnum), '') AS comment
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            WHERE n.nspname = 'understory' AND c.relname = $1
            ORDER BY a.attnum
            """,
            [spec.name]
        ).rows
        let migrated = try rows.map {
            DeclaredColumn(name: try $0["name"].decode(String.self), type: try $0["type"].decode(String.self), comment: try $0["comment"].decode(String.self))
        }
        var differences: [String] = []
        let tableComment = try await connection.execute(
            "SELECT coalesce(obj_description(to_regclass($1), 'pg_class'), '') AS comment", ["understory.\(spec.name)"]
        ).rows[0]["comment"].decode(String.self)
        if tableComment != spec.comment { differences.append("table comment: declared \"\(spec.comment)\", migrated \"\(tableComment)\"") }
        for index in 0..<max(migrated.count, spec.declared.count) {
            let declared = index < spec.declared.count ? spec.declared[index] : nil
            let actual = index < migrated.count ? migrated[index] : nil
            guard declared != actual else { continue }
            let describe = { (column: DeclaredColumn?) in column.map { "\($0.name) \($0.type)" } ?? "nothing" }
            if declared?.name == actual?.name && declared?.type == actual?.type {
                differences.append("column \(index + 1) \(declared?.name ?? ""): declared comment \"\(declared?.comment ?? "")\", migrated \"\(actual?.comment ?? "")\"")
            } else {
                differences.append("column \(index + 1): declared \(describe(declared)), migrated \(describe(actual))")
            }
        }
        return differences
    }

    static func withMigratedDatabase(_ body: (PostgresConnection) async throws -> Void) async throws {
        let logger = quietLogger
        try await TestDatabase.withFreshDatabase { database in
            try await PostgresConnection.withConnection(database, logger: logger) { connection in
                _ = try await Schema.migrate(on: connection, logger: logger)
                try await body(connection)
            }
        }
    }
}
