import Foundation
import InMemoryLogging
import Logging
import PostgresClient
import Testing
import SyncTestSupport

@Suite("session defaults, statement cancel, redacted connection strings, DETAIL")
struct SessionTests {
    /// `TestDatabase.url` with `options` set (URI query parameter or conninfo keyword).
    static func url(withOptions options: String) throws -> String {
        let base = TestDatabase.url
        if var components = URLComponents(string: base), components.scheme?.hasPrefix("postgres") == true {
            components.queryItems = (components.queryItems ?? []) + [URLQueryItem(name: "options", value: options)]
            // URLComponents leaves "=" unescaped in a value; libpq decodes %3D either way.
            return components.string!.replacingOccurrences(of: "lock_timeout=", with: "lock_timeout%3D")
        }
        return base + " options='\(options)'"
    }

    static func setting(_ name: String, _ configuration: PostgresConfiguration) async throws -> String? {
        try await PostgresConnection.withConnection(configuration, logger: quietLogger) { connection in
            try await connection.execute("SELECT current_setting($1) AS v", [name]).rows[0]["v"].string
        }
    }

    @Test("session defaults are set on every connection, unless the connection's options set them")
    func sessionDefaults() async throws {
        let defaults: [(name: String, value: String)] = [("lock_timeout", "1234ms"), ("statement_timeout", "5min")]
        let plain = PostgresConfiguration(connectionString: TestDatabase.url, sessionDefaults: defaults)
        #expect(try await Self.setting("lock_timeout", plain) == "1234ms")
        #expect(try await Self.setting("statement_timeout", plain) == "5min")

        let userSet = PostgresConfiguration(connectionString: try Self.url(withOptions: "-c lock_timeout=7s"), sessionDefaults: defaults)
        #expect(try await Self.setting("lock_timeout", userSet) == "7s", "the user's options= wins")
        #expect(try await Self.setting("statement_timeout", userSet) == "5min", "the other default still applies")

        #expect(try await Self.setting("lock_timeout", PostgresConfiguration(connectionString: TestDatabase.url)) == "0", "no defaults, no change")
    }

    @Test("parameter names are read from options the way the server reads them")
    func optionNames() {
        #expect(ConnectionStringProbe.names("-c lock_timeout=5s") == ["lock_timeout"])
        #expect(ConnectionStringProbe.names("-clock_timeout=5s --statement-timeout=1min") == ["lock_timeout", "statement_timeout"])
        #expect(ConnectionStringProbe.names("-c search_path=a\\ b -c Statement_Timeout=0") == ["search_path", "statement_timeout"])
        #expect(ConnectionStringProbe.names("") == [])
    }

    @Test("cancelling the task that awaits a statement cancels the statement on the server (57014)")
    func cancelRunningStatement() async throws {
        try await PostgresConnection.withConnection(TestDatabase.configuration, logger: quietLogger) { connection in
            let pid = try await connection.execute("SELECT pg_backend_pid() AS pid").rows[0]["pid"].int ?? 0
            // Justified: a server-side statement that runs until the test cancels it (never waited out).
            let sleeper = Task { try await connection.execute("SELECT pg_sleep(600)") }  // Justified: see above.
            // Wait (bounded) until the server runs the statement, then cancel the task.
            let running = try await PostgresConnection.withConnection(TestDatabase.configuration, logger: quietLogger) { observer in
                try await eventually {
                    try await observer.execute(
                        "SELECT count(*) AS n FROM pg_stat_activity WHERE pid = $1 AND state = 'active' AND query LIKE '%pg_sleep%'", [pid]
                    ).rows[0]["n"].int == 1
                }
            }
            #expect(running)
            sleeper.cancel()
            let result = await sleeper.result
            guard case .failure(let error) = result, let error = error as? PostgresError else {
                Issue.record("expected a PostgresError, got \(result)")
                return
            }
            #expect(error.sqlState == .queryCanceled)
            // The connection stays usable.
            #expect(try await connection.execute("SELECT 1 AS one").rows[0]["one"].int == 1)
        }
    }

    @Test("a malformed connection string never shows its password, in the error or the logs", arguments: [
        "postgresql://u:s3cr3t@[bad",
        "postgresql://u:s3cr3t@host:notaport/db",
        "postgres://u:s3cr3t@host/db?password=s3cr3t&sslmode=bogus'",
        "password=s3cr3t host='unterminated",
        "password=s3cr3t host= garbage",
        "host=127.0.0.1 port=1 password='s3cr3t' dbname=x connect_timeout=1",
        // Not recognisably a URI to libpq, which then quotes it whole in its error.
        " postgresql://u:s3cr3t@127.0.0.1:1/db",
        "\tpostgres://u:s3cr3t@127.0.0.1:1/db",
        "postgresql://u:s3cr3t@127.0.0.1:1/db ",
        "postgresq://u:s3cr3t@127.0.0.1:1/db",
        "postgresql//u:s3cr3t@127.0.0.1:1/db",
        "u:s3cr3t@127.0.0.1:1/db",
        "host=127.0.0.1 PASSWORD = \"s3cr3t\" dbname='x",
        "host=127.0.0.1 password = 's3\\'cr3t' port=1 dbname=x connect_timeout=1 '",
    ])
    func malformedConnectionString(_ connectionString: String) async throws {
        let logs = InMemoryLogHandler()
        let logger = Logger(label: "test") { _ in logs }
        do {
            _ = try await PostgresConnection.withConnection(PostgresConfiguration(connectionString: connectionString), logger: logger) { _ in }
            Issue.record("connecting with \(connectionString) succeeded")
        } catch let error as PostgresError {
            #expect(!error.description.contains("s3cr3t"), "\(error)")
            #expect(!String(reflecting: error).contains("s3cr3t"), "\(String(reflecting: error))")
            #expect(!error.message.contains("s3cr3t"))
            #expect(error.code == .invalidConnectionString || error.code == .connectionFailed)
        }
        #expect(!logs.entries.map { "\($0)" }.joined().contains("s3cr3t"))
    }

    @Test("an unparsable URI is a connection-string error that shows the rest of the URI")
    func unparsableURI() async throws {
        let error = await #expect(throws: PostgresError.self) {
            try await PostgresConnection.withConnection(PostgresConfiguration(connectionString: "postgresql://u:s3cr3t@[bad"), logger: quietLogger) { _ in }
        }
        #expect(error?.code == .invalidConnectionString)
        #expect(error?.description.contains("postgresql://u:<redacted>@[bad") == true, "\(error.map { "\($0)" } ?? "")")
    }

    @Test("the server's DETAIL stays out of the description; SQLSTATE, table and constraint stay in")
    func detailNotInDescription() async throws {
        try await TestDatabase.withSchema { connection, schema in
            try await connection.execute("CREATE TABLE t (id int, email text, CONSTRAINT t_email_check CHECK (email NOT LIKE '%@secret.example'))")
            let error = await #expect(throws: PostgresError.self) {
                try await connection.execute("INSERT INTO t VALUES (1, $1)", ["alice@secret.example"])
            }
            let text = error.map { "\($0)" } ?? ""
            #expect(error?.detail?.contains("alice@secret.example") == true, "the detail is kept on the error")
            #expect(!text.contains("alice@secret.example"), "\(text)")
            #expect(text.contains("23514") && text.contains("t_email_check") && text.contains("\(schema).t"), "\(text)")
            #expect(String(reflecting: error!).contains("alice@secret.example"), "debugDescription keeps it for developers")
        }
    }
}

/// Exposes the options parser through a real connection-free path: a connection string's options.
enum ConnectionStringProbe {
    static func names(_ options: String) -> Set<String> { PostgresConfiguration.parameterNames(inOptions: options) }
}

