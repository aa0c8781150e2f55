import Foundation
import Logging
import PostgresClient

/// The `understory` schema: its migrations (sql/migrations, shipped as resources) and checks.
public enum Schema {
    public static let name = "understory"

    /// Every migration shipped with this binary, in order.
    public static func migrations() throws -> [Migration] {
        guard let directory = Bundle.module.url(forResource: "Migrations", withExtension: nil) else {
            throw SyncError(.schemaNotMigrated, "the migrations folder is missing from the installation (understory-sync_SyncEngine.resources)")
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        return try files.compactMap { file in
            let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            return Migration(fileName: file, sql: text)
        }
    }

    public static func runner() throws -> MigrationRunner {
        MigrationRunner(schema: name, migrations: try migrations())
    }

    /// Applies pending migrations.
    public static func migrate(on connection: PostgresConnection, logger: Logger) async throws -> MigrationRunner.Outcome {
        try await runner().migrate(on: connection, logger: logger)
    }

    /// Throws `.schemaNotMigrated` (telling the user to run `migrate`) unless the schema is current.
    @discardableResult
    public static func requireCurrent(on connection: PostgresConnection) async throws -> MigrationRunner.Status {
        let status = try await runner().status(on: connection)
        if status.appliedVersions.isEmpty {
            throw SyncError(.schemaNotMigrated, "the database has no understory schema yet: run `understory-sync migrate` first")
        }
        if !status.isCurrent {
            let names = status.pending.map(\.fileName).joined(separator: ", ")
            throw SyncError(.schemaNotMigrated, "the database schema is behind this version (pending: \(names)): run `understory-sync migrate`")
        }
        return status
    }
}
