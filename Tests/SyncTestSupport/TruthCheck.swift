import Foundation
import PostgresClient
import UnderstorySimulator

/// Compares synced tables with the simulator's truth.
public enum TruthCheck {
    /// Differences between a table and the simulator's truth for a resource: ids missing, extra,
    /// or with another `updated_at` or `raw` (compared as jsonb). Empty means equal.
    /// Only `company`'s rows (default: the primary company) are compared, with that company's truth.
    public static func differences(
        simulator: Simulator, database: PostgresConfiguration, resource: SimulatorResource, table: String, company: String? = nil
    ) async throws -> [String] {
        let truth = simulator.truth(company: company)[resource]
        let companyID = company ?? simulator.configuration.companyID
        let source = "understory.\(table) WHERE _deleted_at IS NULL AND company_id = '\(companyID)'"
        return try await PostgresConnection.withConnection(database, logger: TestDatabase.logger) { connection in
            try await connection.execute("CREATE TEMP TABLE truth (id text, updated_at timestamptz, raw jsonb)")
            try await connection.copyIn("COPY truth FROM STDIN") { writer in
                for item in truth.values {
                    try await writer.appendRow([item.id, item.updatedAt, item.json])
                }
            }
            let rows = try await connection.execute(
                """
                SELECT 'missing ' || id AS d FROM (SELECT id, updated_at, raw FROM truth EXCEPT SELECT id, updated_at, raw FROM \(source)) a
                UNION ALL
                SELECT 'extra ' || id FROM (SELECT id, updated_at, raw FROM \(source) EXCEPT SELECT id, updated_at, raw FROM truth) b
                ORDER BY 1 LIMIT 20
                """
            ).rows
            return try rows.map { try $0["d"].decode(String.self) }
        }
    }

}
