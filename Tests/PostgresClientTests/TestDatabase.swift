import Foundation
import Logging
import PostgresClient
import Testing

/// Where the integration tests find PostgreSQL: `DATABASE_URL` (scripts/test sets it).
enum TestDatabase {
    static var url: String? { ProcessInfo.processInfo.environment["DATABASE_URL"] }

    static var configuration: PostgresConfiguration { PostgresConfiguration(connectionString: url) }

    static let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    /// Runs `body` with a connection whose `search_path` is a fresh schema, dropped afterwards,
    /// so tests can run in parallel without seeing each other's tables.
    static func withSchema<T>(
        logger: Logger = TestDatabase.logger,
        _ body: (PostgresConnection, String) async throws -> T
    ) async throws -> T {
        let schema = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        return try await PostgresConnection.withConnection(configuration, logger: logger) { connection in
            try await connection.simpleQuery("CREATE SCHEMA \(schema); SET search_path TO \(schema)")
            do {
                let result = try await body(connection, String(schema))
                try? await connection.simpleQuery("DROP SCHEMA \(schema) CASCADE")
                return result
            } catch {
                try? await connection.simpleQuery("ROLLBACK")
                try? await connection.simpleQuery("DROP SCHEMA \(schema) CASCADE")
                throw error
            }
        }
    }
}

/// Current resident set size of this process, from /proc.
func residentBytes() -> Int {
    guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = statm.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

/// Strings that break naive escaping, in SQL, COPY text format, JSON and terminals.
let hostileStrings: [String] = [
    "",
    " ",
    "plain",
    "tab\there",
    "new\nline",
    "carriage\rreturn",
    "crlf\r\nend",
    "back\\slash",
    "\\N",
    "\\.",
    "trailing backslash\\",
    "'single' \"double\" `back`",
    "'); DROP TABLE x; --",
    "emoji 🎉🇩🇰👩‍👩‍👧‍👦",
    "RTL עברית العربية",
    "combining e\u{301} a\u{308}",
    "zero\u{200B}width",
    "tab\tnewline\nbackslash\\cr\r",
    "控制 \u{1F} unit separator",
    String(repeating: "long é ", count: 2000),
]
