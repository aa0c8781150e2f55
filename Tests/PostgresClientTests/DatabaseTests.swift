import Foundation
import PostgresClient
import SyncTestSupport
import Testing

@Suite("databases: create, drop, the same server's other database, rolled-back transactions")
struct DatabaseTests {
    static func exists(_ name: String, on connection: PostgresConnection) async throws -> Bool {
        try await connection.execute("SELECT count(*) AS n FROM pg_database WHERE datname = $1", [name]).rows[0]["n"].int == 1
    }

    @Test("createDatabase makes a database the configuration's database(_:) reaches; dropDatabase removes it with sessions open")
    func createAndDrop() async throws {
        let name = "pc_test_Mixed-" + UUID().uuidString.prefix(8).lowercased()
        let admin = TestDatabase.configuration
        try await PostgresConnection.withConnection(admin, logger: quietLogger) { connection in
            try await connection.createDatabase(name)
            #expect(try await Self.exists(name, on: connection), "the name is quoted: mixed case and '-' survive")
            let other = try await PostgresConnection.connect(admin.database(name), logger: quietLogger)
            #expect(try await other.execute("SELECT current_database() AS d").rows[0]["d"].string == name)
            try await connection.dropDatabase(name)
            #expect(try await !Self.exists(name, on: connection), "dropped although a session was still connected")
            try await connection.dropDatabase(name)
            await other.close()
        }
    }

    @Test("database(_:) replaces a URI's path and overrides a key=value string's dbname, keeping the rest")
    func otherDatabase() {
        func string(_ text: String?, _ name: String) -> String? {
            PostgresConfiguration(connectionString: text, applicationName: "app").database(name).connectionString
        }
        #expect(string("postgresql://u:p@h:5433/db?sslmode=disable", "other") == "postgresql://u:p@h:5433/other?sslmode=disable")
        #expect(string("postgres://h", "other") == "postgres://h/other")
        #expect(string("host=h dbname=db user=u", "other") == "host=h dbname=db user=u dbname='other'")
        #expect(string(nil, "it's") == #"dbname='it\'s'"#)
        #expect(PostgresConfiguration(connectionString: nil, applicationName: "app").database("x").applicationName == "app")
    }

    @Test("withRolledBackTransaction sees its own writes and commits none of them, also when it throws")
    func rolledBack() async throws {
        struct Stop: Error {}
        try await TestDatabase.withSchema { connection, _ throws in
            try await connection.execute("CREATE TABLE t (id int)")
            let seen = try await connection.withRolledBackTransaction { tx in
                try await tx.execute("INSERT INTO t VALUES (1), (2)")
                return try await tx.execute("SELECT count(*) AS n FROM t").rows[0]["n"].int
            }
            #expect(seen == 2)
            await #expect(throws: Stop.self) {
                try await connection.withRolledBackTransaction { tx in
                    try await tx.execute("INSERT INTO t VALUES (3)")
                    throw Stop()
                }
            }
            #expect(try await connection.execute("SELECT count(*) AS n FROM t").rows[0]["n"].int == 0)
            #expect(try await connection.transactionState() == .idle)
        }
    }
}
