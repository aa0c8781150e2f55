import Foundation
import InMemoryLogging
import Logging
import PostgresClient
import SyncTestSupport
import Testing

@Suite("errors, transactions and connections")
struct ErrorTests {
    @Test("unique violation carries SQLSTATE 23505 and the constraint name")
    func uniqueViolation() async throws {
        try await TestDatabase.withSchema { connection, _ throws in
            try await connection.execute("CREATE TABLE t (id int CONSTRAINT t_pkey PRIMARY KEY)")
            try await connection.execute("INSERT INTO t VALUES (1)")
            let error = await #expect(throws: PostgresError.self) {
                try await connection.execute("INSERT INTO t VALUES ($1)", [1])
            }
            #expect(error?.sqlState == .uniqueViolation)
            #expect(error?.constraint == "t_pkey")
            #expect(error?.detail?.contains("(id)=(1)") == true)
            #expect(error?.code == .server)
        }
    }

    @Test("syntax error carries SQLSTATE 42601 and the connection stays usable")
    func syntaxError() async throws {
        try await TestDatabase.withSchema { connection, _ throws in
            let error = await #expect(throws: PostgresError.self) { try await connection.execute("SELEC 1") }
            #expect(error?.sqlState == .syntaxError)
            #expect(error?.description.contains("42601") == true)
            #expect(try await connection.execute("SELECT 1 AS one").rows[0]["one"].int == 1)
        }
    }

    @Test("a failed statement inside withTransaction rolls everything back")
    func transactionRollsBack() async throws {
        try await TestDatabase.withSchema { connection, _ throws in
            try await connection.execute("CREATE TABLE t (id int PRIMARY KEY)")
            await #expect(throws: PostgresError.self) {
                try await connection.withTransaction { tx in
                    try await tx.execute("INSERT INTO t VALUES (1), (2)")
                    try await tx.execute("INSERT INTO t VALUES (2)")
                }
            }
            #expect(try await connection.execute("SELECT count(*) AS n FROM t").rows[0]["n"].int == 0)
            #expect(try await connection.transactionState() == .idle)
        }
    }

    @Test("an error swallowed inside withTransaction still rolls back and is reported")
    func swallowedErrorRollsBack() async throws {
        try await TestDatabase.withSchema { connection, _ throws in
            try await connection.execute("CREATE TABLE t (id int PRIMARY KEY)")
            await #expect(throws: PostgresError.self) {
                try await connection.withTransaction { tx in
                    try await tx.execute("INSERT INTO t VALUES (1)")
                    _ = try? await tx.execute("INSERT INTO t VALUES (1)")
                }
            }
            #expect(try await connection.execute("SELECT count(*) AS n FROM t").rows[0]["n"].int == 0)
        }
    }

    @Test("a thrown Swift error rolls back and commits happen otherwise")
    func commitAndSwiftErrorRollback() async throws {
        struct Stop: Error {}
        try await TestDatabase.withSchema { connection, _ throws in
            try await connection.execute("CREATE TABLE t (id int)")
            await #expect(throws: Stop.self) {
                try await connection.withTransaction { tx in
                    try await tx.execute("INSERT INTO t VALUES (1)")
                    throw Stop()
                }
            }
            try await connection.withTransaction { tx in try await tx.execute("INSERT INTO t VALUES (2)") }
            #expect(try await connection.execute("SELECT array_agg(id)::text AS ids FROM t").rows[0]["ids"].string == "{2}")
        }
    }

    @Test("connecting to a closed port says where, and never the password")
    func closedPort() async throws {
        let secret = "s3cr3t-PaSsWoRd~"
        let configuration = PostgresConfiguration(connectionString: "postgresql://someone:\(secret)@127.0.0.1:1/somedb?connect_timeout=3")
        let error = await #expect(throws: PostgresError.self) {
            try await PostgresConnection.connect(configuration, logger: quietLogger)
        }
        let text = String(describing: error) + String(reflecting: error)
        #expect(error?.code == .connectionFailed)
        #expect(text.contains("127.0.0.1"))
        #expect(text.contains("port 1"))
        #expect(text.contains("somedb"))
        #expect(!text.contains(secret))
    }

    @Test("a wrong password is a clear authentication error without the password")
    func wrongPassword() async throws {
        guard var components = URLComponents(string: TestDatabase.url) else {
            Issue.record("DATABASE_URL must be a postgresql:// URI for this test")
            return
        }
        let wrong = "definitely-wrong-\(UUID().uuidString)"
        components.password = wrong
        let error = await #expect(throws: PostgresError.self) {
            try await PostgresConnection.connect(PostgresConfiguration(connectionString: components.string), logger: quietLogger)
        }
        let text = String(describing: error) + String(reflecting: error)
        #expect(text.contains("password authentication failed"))
        #expect(!text.contains(wrong))
    }

    @Test("a key=value conninfo string works as well as a URI")
    func conninfo() async throws {
        guard let components = URLComponents(string: TestDatabase.url) else { return }
        var parts = ["host=\(components.host ?? "127.0.0.1")", "port=\(components.port ?? 5432)", "dbname=\(components.path.dropFirst())"]
        if let user = components.user { parts.append("user=\(user)") }
        if let password = components.password { parts.append("password='\(password)'") }
        let value = try await PostgresConnection.withConnection(
            PostgresConfiguration(connectionString: parts.joined(separator: " "), applicationName: "conninfo-test"), logger: quietLogger
        ) { connection in
            try await connection.execute("SELECT current_setting('application_name') AS app").rows[0]["app"].string
        }
        #expect(value == "conninfo-test", "the configuration's application name")
    }

    @Test("server notices go to the logger, not to stderr")
    func noticesAreLogged() async throws {
        let handler = InMemoryLogHandler()
        var logger = Logger(label: "test") { _ in handler }
        logger.logLevel = .debug
        try await TestDatabase.withSchema(logger: logger) { connection, _ throws in
            try await connection.simpleQuery("DO $$ BEGIN RAISE WARNING 'careful: %', 42; RAISE NOTICE 'hello notice'; END $$")
        }
        let messages = handler.entries.map { "\($0.level) \($0.message)" }
        #expect(messages.contains { $0.contains("warning") && $0.contains("careful: 42") })
        #expect(messages.contains { $0.contains("hello notice") })
    }

    @Test("advisory locks: a second session cannot take a held lock until it is released")
    func advisoryLocks() async throws {
        let name = "test-lock-\(UUID().uuidString)"
        try await PostgresConnection.withConnection(TestDatabase.configuration, logger: quietLogger) { first throws in
            try await PostgresConnection.withConnection(TestDatabase.configuration, logger: quietLogger) { second throws in
                #expect(try await first.tryAdvisoryLock(name))
                #expect(try await second.tryAdvisoryLock(name) == false)
                #expect(try await first.advisoryUnlock(name))
                #expect(try await second.tryAdvisoryLock(name))
                #expect(try await second.advisoryUnlock(name))
            }
        }
    }

    @Test("a closed connection reports that it is closed")
    func closedConnection() async throws {
        let connection = try await PostgresConnection.connect(TestDatabase.configuration, logger: quietLogger)
        await connection.close()
        let error = await #expect(throws: PostgresError.self) { try await connection.execute("SELECT 1") }
        #expect(error?.code == .connectionClosed)
    }

    /// Skipped (not passed) where the resident set cannot be read.
    @Test("50 000 queries keep memory flat (every PGresult is cleared)", .enabled(if: residentBytes() > 0, "needs /proc/self/statm"))
    func noResultLeaks() async throws {
        try await TestDatabase.withSchema { connection, _ throws in
            for _ in 0..<2_000 { _ = try await connection.execute("SELECT $1::text AS v, repeat('x', 200) AS w", ["warm-up"]) }
            // Five rounds of 10 000 queries. A leaked PGresult of this shape is ~1 KB, so a leak adds
            // ~10 MB in *every* round; other tests running in parallel add noise to some rounds only.
            var growth = [Int]()
            for round in 0..<5 {
                let before = residentBytes()
                for index in 0..<10_000 {
                    _ = try await connection.execute("SELECT $1::text AS v, repeat('x', 200) AS w", [String(round * 10_000 + index)])
                }
                growth.append(residentBytes() - before)
            }
            #expect(growth.min()! < 4 * 1024 * 1024, "RSS growth per round of 10 000 queries: \(growth)")
        }
    }
}
