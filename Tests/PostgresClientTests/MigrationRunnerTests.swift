import Foundation
import PostgresClient
import SyncTestSupport
import Testing

@Suite("migration runner")
struct MigrationRunnerTests {
    func migrations(_ schema: String) -> [Migration] {
        [
            Migration(version: 1, name: "create", sql: "CREATE TABLE \(schema).a (id int PRIMARY KEY);"),
            Migration(version: 2, name: "extend", sql: "ALTER TABLE \(schema).a ADD COLUMN v text; CREATE INDEX ON \(schema).a (v);"),
        ]
    }

    @Test("applies pending migrations in order, and a second run applies nothing")
    func idempotent() async throws {
        try await TestDatabase.withSchema { connection, schema in
            let runner = MigrationRunner(schema: schema, migrations: migrations(schema).reversed())
            let first = try await runner.migrate(on: connection, logger: quietLogger)
            #expect(first.applied.map(\.version) == [1, 2])
            #expect(first.currentVersion == 2)
            let second = try await runner.migrate(on: connection, logger: quietLogger)
            #expect(second.applied.isEmpty)
            #expect(second.currentVersion == 2)
            let status = try await runner.status(on: connection)
            #expect(status.isCurrent)
            #expect(status.appliedVersions == [1, 2])
        }
    }

    @Test("a changed migration file is an error naming the file")
    func tampered() async throws {
        try await TestDatabase.withSchema { connection, schema in
            var list = migrations(schema)
            _ = try await MigrationRunner(schema: schema, migrations: list).migrate(on: connection, logger: quietLogger)
            list[0].sql += "\n-- edited later"
            let error = await #expect(throws: PostgresError.self) {
                try await MigrationRunner(schema: schema, migrations: list).migrate(on: connection, logger: quietLogger)
            }
            #expect(error?.description.contains("0001_create.sql") == true)
            await #expect(throws: PostgresError.self) {
                try await MigrationRunner(schema: schema, migrations: list).status(on: connection)
            }
        }
    }

    @Test("a failing migration is rolled back whole and named, earlier ones stay")
    func failingMigration() async throws {
        try await TestDatabase.withSchema { connection, schema in
            var list = migrations(schema)
            list.append(Migration(version: 3, name: "broken", sql: "CREATE TABLE \(schema).b (id int); SELECT no_such_function();"))
            let error = await #expect(throws: PostgresError.self) {
                try await MigrationRunner(schema: schema, migrations: list).migrate(on: connection, logger: quietLogger)
            }
            #expect(error?.description.contains("0003_broken.sql") == true)
            let tables = try await connection.execute(
                "SELECT string_agg(table_name, ',' ORDER BY table_name) AS t FROM information_schema.tables WHERE table_schema = $1", [schema]
            ).rows[0]["t"].string
            #expect(tables == "a,schema_migrations")
            let status = try await MigrationRunner(schema: schema, migrations: list).status(on: connection)
            #expect(status.pending.map(\.version) == [3])
        }
    }

    @Test("file names parse into versions and names")
    func fileNames() {
        #expect(Migration(fileName: "0007_add_index.sql", sql: "")?.version == 7)
        #expect(Migration(fileName: "0007_add_index.sql", sql: "")?.name == "add_index")
        #expect(Migration(fileName: "README.md", sql: "") == nil)
        #expect(Migration(version: 12, name: "x", sql: "").fileName == "0012_x.sql")
    }
}
