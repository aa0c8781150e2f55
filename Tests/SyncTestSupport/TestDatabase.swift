import Foundation
import Logging
import PostgresClient

/// Where tests find PostgreSQL: `DATABASE_URL` (scripts/test sets it). Each test gets its own
/// database (``withFreshDatabase(_:)``) or, for the libpq wrapper's tests, its own schema (``withSchema(logger:_:)``),
/// so tests run in parallel without seeing each other's tables. The one copy for every test target.
public enum TestDatabase {
    public static var url: String {
        ProcessInfo.processInfo.environment["DATABASE_URL"] ?? "postgresql:///postgres"
    }

    /// The server's own database (`DATABASE_URL` as given).
    public static var configuration: PostgresConfiguration { PostgresConfiguration(connectionString: url) }

    /// Runs `body` with a connection whose `search_path` is a fresh schema, dropped afterwards.
    public static func withSchema<T>(
        logger: Logger = quietLogger,
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

    public static func withFreshDatabase(_ body: (PostgresConfiguration) async throws -> Void) async throws {
        let name = "us_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(20)
        let admin = PostgresConfiguration(connectionString: url)
        try await PostgresConnection.withConnection(admin, logger: quietLogger) { try await $0.createDatabase(String(name)) }
        do {
            try await body(admin.database(String(name)))
        } catch {
            try? await drop(String(name), admin: admin)
            throw error
        }
        try await drop(String(name), admin: admin)
    }

    static func drop(_ name: String, admin: PostgresConfiguration) async throws {
        try await PostgresConnection.withConnection(admin, logger: quietLogger) { try await $0.dropDatabase(name) }
    }

    /// The same server and credentials, another database.
    public static func url(forDatabase name: String) -> String {
        PostgresConfiguration(connectionString: url).database(name).connectionString!
    }
}
