import Foundation
import PostgresClient
import UnderstorySimulator

/// Compares synced tables with the simulator's truth.
public enum TruthCheck {
    /// What a sync with the default scopes stores (marketing consents need `marketing.read`).
    public static let defaultResources: [SimulatorResource] = [.bookings, .orders, .events, .experiences]

    /// Differences between a table and the simulator's truth for a resource: ids missing, extra,
    /// or with another `updated_at` or `raw` (compared as jsonb; marketing consents have no
    /// `updated_at`: only `raw`). Empty means equal.
    /// Only `company`'s rows (default: the primary company) are compared, with that company's truth.
    /// Items in `absent` (rejected on purpose) are expected not to be stored. Strings with U+0000
    /// are expected stored with U+FFFD (PostgreSQL cannot store U+0000).
    public static func differences(
        simulator: Simulator, database: PostgresConfiguration, resource: SimulatorResource, table: String, company: String? = nil,
        absent: Set<String> = []
    ) async throws -> [String] {
        let truth = simulator.truth(company: company)[resource]
        let companyID = company ?? simulator.configuration.companyID
        let source = "understory.\(table) WHERE _deleted_at IS NULL AND company_id = '\(companyID)'"
        let columns = resource == .marketingConsents ? "id, raw" : "id, updated_at, raw"
        return try await PostgresConnection.withConnection(database, logger: quietLogger) { connection in
            try await connection.execute("CREATE TEMP TABLE truth (id text, updated_at timestamptz, raw jsonb)")
            try await connection.copyIn("COPY truth FROM STDIN") { writer in
                for item in truth.values where !absent.contains(item.id) {
                    try await writer.appendRow([item.id, item.updatedAt, storable(item.json)])
                }
            }
            let rows = try await connection.execute(
                """
                SELECT 'missing ' || id AS d FROM (SELECT \(columns) FROM truth EXCEPT SELECT \(columns) FROM \(source)) a
                UNION ALL
                SELECT 'extra ' || id FROM (SELECT \(columns) FROM \(source) EXCEPT SELECT \(columns) FROM truth) b
                ORDER BY 1 LIMIT 20
                """
            ).rows
            return try rows.map { try $0["d"].decode(String.self) }
        }
    }

    /// Differences between a child table and the simulator's children of `companyID`: `expected`
    /// holds (parent id, exact JSON) pairs; rows missing, extra or different (compared as jsonb)
    /// are named by table and parent. Empty means equal.
    public static func childDifferences(
        database: PostgresConfiguration, companyID: String, expected: [(parent: String, json: String)], table: String, parentColumn: String
    ) async throws -> [String] {
        try await PostgresConnection.withConnection(database, logger: quietLogger) { connection in
            try await connection.execute("CREATE TEMP TABLE child_truth (parent text, raw jsonb)")
            try await connection.copyIn("COPY child_truth FROM STDIN") { writer in
                for (parent, json) in expected { try await writer.appendRow([parent, json]) }
            }
            let stored = "SELECT \(parentColumn), raw FROM understory.\(table) WHERE company_id = '\(companyID)'"
            return try await connection.execute(
                """
                SELECT '\(table) missing for ' || parent AS d FROM (SELECT parent, raw FROM child_truth EXCEPT \(stored)) a
                UNION ALL
                SELECT '\(table) extra for ' || \(parentColumn) FROM (\(stored) EXCEPT SELECT parent, raw FROM child_truth) b
                ORDER BY 1 LIMIT 20
                """
            ).rows.map { try $0["d"].decode(String.self) }
        }
    }

    /// JSON text as understory-sync stores it: each `\u0000` escape (not an escaped backslash
    /// followed by `u0000`) reads `\ufffd`.
    public static func storable(_ json: String) -> String {
        guard json.contains("u0000") else { return json }
        var out = [UInt8]()
        let bytes = Array(json.utf8)
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "\\"), i + 1 < bytes.count {
                if i + 5 < bytes.count, bytes[i + 1] == UInt8(ascii: "u"), bytes[(i + 2)...(i + 5)].allSatisfy({ $0 == UInt8(ascii: "0") }) {
                    out += Array("\\ufffd".utf8)
                    i += 6
                    continue
                }
                out += bytes[i...(i + 1)]
                i += 2
                continue
            }
            out.append(bytes[i])
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

}
