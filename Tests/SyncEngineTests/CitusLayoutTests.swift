import Foundation
import PostgresClient
import SyncEngine
import SyncTestSupport
import Testing

/// sql/citus/distribute.sql checked on plain PostgreSQL (no Citus here): the catalog of a migrated
/// database must fit the layout, and the engine's SQL must route every statement on a data table
/// to one shard (one company).
@Suite("Citus layout: data tables distributed by company_id")
struct CitusLayoutTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Stand-ins for the part of Citus the script uses: its catalog of laid-out tables and the two
    /// functions, which refuse what Citus refuses (a table laid out twice, a missing distribution
    /// column, co-location with a table not yet distributed, a foreign key to a table not yet laid out).
    static let citusStandIns = """
        CREATE SCHEMA citus_standin;
        CREATE TABLE citus_standin.pg_dist_partition (
            logicalrelid regclass PRIMARY KEY, partmethod "char" NOT NULL, position serial NOT NULL
        );
        CREATE FUNCTION citus_standin.refuse_dangling_keys(table_name regclass) RETURNS void LANGUAGE plpgsql AS $$
        BEGIN
            IF EXISTS (SELECT 1 FROM pg_constraint f WHERE f.conrelid = table_name AND f.contype = 'f' AND f.confrelid <> table_name
                       AND NOT EXISTS (SELECT 1 FROM citus_standin.pg_dist_partition d WHERE d.logicalrelid = f.confrelid)) THEN
                RAISE EXCEPTION '% has a foreign key to a table that is not laid out yet', table_name;
            END IF;
        END $$;
        CREATE FUNCTION citus_standin.create_reference_table(table_name regclass) RETURNS void LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM citus_standin.refuse_dangling_keys(table_name);
            INSERT INTO citus_standin.pg_dist_partition (logicalrelid, partmethod) VALUES (table_name, 'n');
        END $$;
        CREATE FUNCTION citus_standin.create_distributed_table(table_name regclass, distribution_column text, colocate_with text DEFAULT 'default')
        RETURNS void LANGUAGE plpgsql AS $$
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = table_name AND attname = distribution_column AND NOT attisdropped) THEN
                RAISE EXCEPTION '% has no column %', table_name, distribution_column;
            END IF;
            IF colocate_with <> 'default' AND NOT EXISTS (
                SELECT 1 FROM citus_standin.pg_dist_partition WHERE logicalrelid = colocate_with::regclass AND partmethod = 'h') THEN
                RAISE EXCEPTION 'cannot co-locate % with %: not distributed yet', table_name, colocate_with;
            END IF;
            PERFORM citus_standin.refuse_dangling_keys(table_name);
            INSERT INTO citus_standin.pg_dist_partition (logicalrelid, partmethod) VALUES (table_name, 'h');
        END $$;
        """

    /// (distributed, reference) tables, in the order sql/citus/distribute.sql lays them out, from
    /// running it on `connection`'s migrated database against ``citusStandIns`` (its
    /// `CREATE EXTENSION citus` left out: there is no Citus here).
    static func layout(on connection: PostgresConnection) async throws -> (distributed: [String], reference: [String]) {
        let script = try String(contentsOf: root.appendingPathComponent("sql/citus/distribute.sql"), encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("CREATE EXTENSION") }.joined(separator: "\n")
        try await connection.simpleQuery(citusStandIns)
        try await connection.simpleQuery("SET search_path = citus_standin, pg_catalog, public")
        try await connection.simpleQuery(script)
        try await connection.simpleQuery("RESET search_path")
        let rows = try await connection.execute(
            "SELECT replace(logicalrelid::text, 'understory.', '') AS name, partmethod::text AS method FROM citus_standin.pg_dist_partition ORDER BY position"
        ).rows
        let laidOut = try rows.map { (name: try $0["name"].decode(String.self), method: try $0["method"].decode(String.self)) }
        return (laidOut.filter { $0.method == "h" }.map(\.name), laidOut.filter { $0.method == "n" }.map(\.name))
    }

    /// The layout of a freshly migrated database.
    static func layout() async throws -> (distributed: [String], reference: [String]) {
        var result: (distributed: [String], reference: [String]) = ([], [])
        try await TestDatabase.withFreshDatabase { database in
            try await PostgresConnection.withConnection(database, logger: quietLogger) { connection in
                _ = try await Schema.migrate(on: connection, logger: quietLogger)
                result = try await layout(on: connection)
            }
        }
        return result
    }

    @Test("every table a declaration names is distributed by company_id in sql/citus/distribute.sql")
    func declaredTablesAreDistributed() async throws {
        let missing = Set(OperationsSnapshot.syncedTables).subtracting(try await Self.layout().distributed)
        #expect(missing.isEmpty, "declared but not distributed in sql/citus/distribute.sql: \(missing.sorted())")
    }

    @Test("a table a migration adds is distributed with no edit to the script, after the table its foreign key points at")
    func newTableNeedsNoEdit() async throws {
        try await TestDatabase.withFreshDatabase { database in
            try await PostgresConnection.withConnection(database, logger: quietLogger) { connection in
                _ = try await Schema.migrate(on: connection, logger: quietLogger)
                // Named to sort before its parent: the script must still lay out the parent first.
                try await connection.simpleQuery(
                    """
                    CREATE TABLE understory.aaa_widgets (company_id text NOT NULL, id text NOT NULL, PRIMARY KEY (company_id, id));
                    CREATE TABLE understory.aa_widget_parts (
                        company_id text NOT NULL, widget_id text NOT NULL, n int NOT NULL, PRIMARY KEY (company_id, widget_id, n),
                        FOREIGN KEY (company_id, widget_id) REFERENCES understory.aaa_widgets (company_id, id));
                    """
                )
                let layout = try await Self.layout(on: connection)
                let parent = try #require(layout.distributed.firstIndex(of: "aaa_widgets"))
                let child = try #require(layout.distributed.firstIndex(of: "aa_widget_parts"))
                #expect(parent < child, "\(layout.distributed)")
            }
        }
    }

    @Test("every table is laid out exactly once; every key and unique constraint of a distributed table includes company_id")
    func catalogFitsTheLayout() async throws {
        try await TestDatabase.withFreshDatabase { database in
            try await PostgresConnection.withConnection(database, logger: quietLogger) { connection in
                _ = try await Schema.migrate(on: connection, logger: quietLogger)
                let layout = try await Self.layout(on: connection)
                #expect(layout.distributed.first == "orders" && layout.distributed.count >= 8, "orders first (the others co-locate with it)")
                let tables = try await connection.execute(
                    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'understory' AND c.relkind IN ('r', 'p') ORDER BY 1"
                ).rows.map { try $0["relname"].decode(String.self) }
                let named = layout.distributed + layout.reference
                #expect(named.count == Set(named).count, "a table is laid out twice")
                #expect(Set(tables) == Set(named), "not laid out: \(Set(tables).subtracting(named).sorted()); no such table: \(Set(named).subtracting(tables).sorted())")

                let distributed = layout.distributed.joined(separator: ",")
                // Primary keys, unique constraints and unique indexes without company_id.
                let keys = try await connection.execute(
                    """
                    SELECT c.relname || ': ' || i.indexrelid::regclass::text AS key
                    FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = 'understory' AND c.relname = ANY(string_to_array($1, ',')) AND i.indisunique
                      AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'company_id' AND a.attnum = ANY(i.indkey))
                    """,
                    [distributed]
                ).rows.map { try $0["key"].decode(String.self) }
                #expect(keys.isEmpty, "unique keys without company_id: \(keys)")
                let nullable = try await connection.execute(
                    """
                    SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'company_id'
                    WHERE n.nspname = 'understory' AND c.relname = ANY(string_to_array($1, ',')) AND (a.attnum IS NULL OR NOT a.attnotnull)
                    """,
                    [distributed]
                ).rows.map { try $0["relname"].decode(String.self) }
                #expect(nullable.isEmpty, "distribution column missing or nullable: \(nullable)")
                // Foreign keys: between distributed tables they must include company_id; a reference table never points at a distributed one.
                let foreignKeys = try await connection.execute(
                    """
                    SELECT f.conname, src.relname AS source, dst.relname AS target,
                           EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = f.conrelid AND a.attname = 'company_id' AND a.attnum = ANY(f.conkey)) AS with_company
                    FROM pg_constraint f JOIN pg_class src ON src.oid = f.conrelid JOIN pg_class dst ON dst.oid = f.confrelid
                    JOIN pg_namespace n ON n.oid = src.relnamespace
                    WHERE f.contype = 'f' AND n.nspname = 'understory'
                    """
                ).rows
                for key in foreignKeys {
                    let source = try key["source"].decode(String.self), target = try key["target"].decode(String.self)
                    let name = try key["conname"].decode(String.self)
                    if layout.distributed.contains(target) {
                        #expect(layout.distributed.contains(source), "\(name): reference table \(source) points at distributed \(target)")
                        #expect(try key["with_company"].decode(Bool.self), "\(name): \(source) → \(target) without company_id")
                    }
                }
            }
        }
    }

    /// Statements on data tables that are knowingly not pinned to one company, with the reason.
    static let multiCompanyReads: [(file: String, marker: String, reason: String)] = [
        ("Run/StatusReport.swift", "t.company_id = s.company_id",
         "`status` counts every account's rows: a read-only multi-shard query, never on the sync path"),
        ("Loading/BatchLoader.swift", "t.company_id = s.company_id",
         "changed-id detection joins the session's staging table, whose rows all carry the run's company_id"),
        ("Loading/TableSpec.swift", "AS missing",
         "reconcile's drift detection joins the session's staging table, whose rows all carry the run's company_id"),
        ("Loading/RejectedItemStore.swift", "WHERE resolved_at IS NULL GROUP BY 1, 2",
         "`status` counts every account's unresolved rejected items: a read-only multi-shard query, never on the sync path"),
        ("Run/OperationsSnapshot.swift", "FROM understory.sync_state WHERE last_success_at IS NOT NULL GROUP BY resource",
         "`/metrics` reports the newest success per resource over every account: a read-only multi-shard aggregate, never on the sync path"),
        ("Run/OperationsSnapshot.swift", "FROM understory.rejected_items WHERE resolved_at IS NULL GROUP BY resource",
         "`/metrics` counts unresolved rejected items per resource over every account: a read-only multi-shard aggregate, never on the sync path"),
        ("Run/OperationsSnapshot.swift", "FROM understory.sync_state WHERE skipped_scope IS NOT NULL GROUP BY resource, skipped_scope",
         "`/metrics` counts the accounts whose last run skipped a resource for a missing scope: a read-only multi-shard aggregate, never on the sync path"),
        ("Run/StatusDetails.swift", "SELECT company_id, resource, item_id, reason, first_seen_at, last_seen_at",
         "the status page lists every account's unresolved rejected items: a read-only multi-shard query, never on the sync path"),
        ("Webhooks/WebhookSubscriptionStore.swift", "FROM understory.webhook_subscriptions ORDER BY company_id",
         "`serve` loads every account's signing secrets at start and on an unknown endpoint: a small read, never on the sync path"),
        ("Webhooks/WebhookSubscriptionStore.swift", "UNION SELECT company_id FROM understory.sync_state",
         "`serve` with an integration key names its company from the database while /v1/me does not answer: a small read, never on the sync path"),
    ]

    @Test("every statement the engine sends to a data table names a company (company_id = $n), or only inserts rows that carry one")
    func engineStatementsArePinnedToOneCompany() async throws {
        let layout = try await Self.layout()
        let tableNames = layout.distributed.joined(separator: "|")
        // A data table after the keyword that reads or changes it; an interpolated TableSpec name counts as one.
        let mention = try Regex("(FROM|JOIN|UPDATE|DELETE FROM|INSERT INTO)\\s+(understory\\.(\(tableNames))\\b|\\\\\\((spec\\.)?qualifiedName\\))")
        let pinned = try Regex("company_id\\s*=\\s*(\\$[0-9]|ANY)")
        let sources = Self.root.appendingPathComponent("Sources/SyncEngine")
        let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)!.compactMap { $0 as? URL }
            .filter { $0.pathExtension == "swift" }
        var checked = 0
        var unpinned = [String]()
        for file in files {
            let relative = file.path.replacingOccurrences(of: sources.path + "/", with: "")
            for literal in Self.stringLiterals(try String(contentsOf: file, encoding: .utf8)) {
                let mentions = literal.matches(of: mention)
                guard !mentions.isEmpty else { continue }
                checked += 1
                let readsOrChanges = mentions.contains { String($0.output[1].substring ?? "") != "INSERT INTO" }
                if !readsOrChanges || literal.contains("WITH NO DATA") || literal.contains(pinned) { continue }
                if Self.multiCompanyReads.contains(where: { $0.file == relative && literal.contains($0.marker) }) { continue }
                unpinned.append("\(relative): \(literal.split(separator: "\n").first ?? "")…")
            }
        }
        #expect(checked >= 10, "the scan should find the engine's statements (found \(checked))")
        #expect(unpinned.isEmpty, "statements on data tables without company_id = $n (they would not route to one shard): \(unpinned)")
    }

    @Test("the scan finds a statement that reads a data table without naming a company")
    func scanCatchesUnpinnedStatement() throws {
        let literals = Self.stringLiterals(#"let a = "SELECT count(*) FROM understory.orders WHERE status = $1"; let b = """\#n  DELETE FROM understory.bookings WHERE company_id = $1\#n  """"#)
        #expect(literals.count == 2)
        #expect(!literals[0].contains(try Regex("company_id\\s*=\\s*(\\$[0-9]|ANY)")))
        #expect(literals[1].contains(try Regex("company_id\\s*=\\s*(\\$[0-9]|ANY)")))
    }

    /// The contents of Swift string literals ("…" and """…"""), comment lines skipped.
    static func stringLiterals(_ source: String) -> [String] {
        let text = source.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("//") }.joined(separator: "\n")
        var literals = [String]()
        var index = text.startIndex
        while let quote = text[index...].firstIndex(of: "\"") {
            if text[quote...].hasPrefix("\"\"\"") {
                let start = text.index(quote, offsetBy: 3)
                guard let end = text[start...].range(of: "\"\"\"") else { break }
                literals.append(String(text[start..<end.lowerBound]))
                index = end.upperBound
            } else {
                var cursor = text.index(after: quote)
                var escaped = false
                while cursor < text.endIndex {
                    let character = text[cursor]
                    if character == "\n" { break }
                    if character == "\"" && !escaped { break }
                    escaped = character == "\\" && !escaped
                    cursor = text.index(after: cursor)
                }
                literals.append(String(text[text.index(after: quote)..<cursor]))
                index = cursor < text.endIndex ? text.index(after: cursor) : cursor
            }
        }
        return literals
    }
}
