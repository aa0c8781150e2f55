import Foundation
import PostgresClient
import UnderstorySimulator

/// Compares synced tables with the simulator's truth.
public enum TruthCheck {
    /// Differences between a table and the simulator's truth for a resource: ids missing, extra,
    /// or with another `updated_at` or `raw` (compared as jsonb). Empty means equal.
    public static func differences(
        simulator: Simulator, database: PostgresConfiguration, resource: SimulatorResource, table: String
    ) async throws -> [String] {
        let truth = simulator.truth()[resource]
        return try await PostgresConnection.withConnection(database, logger: TestDatabase.logger) { connection in
            try await connection.execute("CREATE TEMP TABLE truth (id text, updated_at timestamptz, raw jsonb)")
            try await connection.copyIn("COPY truth FROM STDIN") { writer in
                for item in truth.values {
                    try await writer.appendRow([item.id, item.updatedAt, item.json])
                }
            }
            let rows = try await connection.execute(
                """
                SELECT 'missing ' || id AS d FROM (SELECT id, updated_at, raw FROM truth EXCEPT SELECT id, updated_at, raw FROM understory.\(table) WHERE _deleted_at IS NULL) a
                UNION ALL
                SELECT 'extra ' || id FROM (SELECT id, updated_at, raw FROM understory.\(table) WHERE _deleted_at IS NULL EXCEPT SELECT id, updated_at, raw FROM truth) b
                ORDER BY 1 LIMIT 20
                """
            ).rows
            return try rows.map { try $0["d"].decode(String.self) }
        }
    }

}
