import Foundation
import PostgresClient
import UnderstoryAPI

/// Reads and writes `understory.sync_state`, the sync position per account and resource.
struct WatermarkStore {
    let connection: PostgresConnection

    struct State: Sendable {
        var watermark: Timestamp?
        var lastFullPassAt: Date?
        var lastSuccessAt: Date?
    }

    func state(companyID: String, resource: Resource) async throws -> State {
        let rows = try await connection.execute(
            """
            SELECT to_char(\(FutureDated.clampedSQL("watermark")) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS watermark,
                   last_full_pass_at, last_success_at
            FROM understory.sync_state WHERE company_id = $1 AND resource = $2
            """,
            [companyID, resource.rawValue]
        ).rows
        guard let row = rows.first else { return State() }
        return State(
            watermark: row["watermark"].string.flatMap { Timestamp(rfc3339: $0) },
            lastFullPassAt: try row["last_full_pass_at"].decode(Date?.self),
            lastSuccessAt: try row["last_success_at"].decode(Date?.self)
        )
    }

    /// Records a finished pass in the caller's transaction. The watermark never moves backwards,
    /// except out of the future: it is never stored beyond the database's now + 5 minutes (a
    /// watermark written there by an older version is pulled back, and reads clamp it too).
    func recordSuccess(
        companyID: String, resource: Resource, watermark: Timestamp?, fullPass: Bool, runID: Int64
    ) async throws {
        try await connection.execute(
            """
            INSERT INTO understory.sync_state AS s (company_id, resource, watermark, last_full_pass_at, last_success_at, last_run_id)
            VALUES ($1, $2, \(FutureDated.clampedSQL("$3::timestamptz")), CASE WHEN $4::bool THEN now() END, now(), $5)
            ON CONFLICT (company_id, resource) DO UPDATE SET
                watermark = \(FutureDated.clampedSQL("GREATEST(s.watermark, excluded.watermark)")),
                last_full_pass_at = coalesce(excluded.last_full_pass_at, s.last_full_pass_at),
                last_success_at = now(), last_run_id = excluded.last_run_id, last_error = NULL, last_error_at = NULL,
                skipped_scope = NULL, skipped_reason = NULL, skipped_at = NULL
            """,
            [companyID, resource.rawValue, watermark?.rfc3339, fullPass, runID]
        )
    }

    /// Records why a resource failed (outside the failed transaction).
    func recordFailure(companyID: String, resource: Resource, error: String) async throws {
        try await connection.execute(
            """
            INSERT INTO understory.sync_state AS s (company_id, resource, last_error, last_error_at)
            VALUES ($1, $2, $3, now())
            ON CONFLICT (company_id, resource) DO UPDATE SET last_error = excluded.last_error, last_error_at = now()
            """,
            [companyID, resource.rawValue, error]
        )
    }

    /// Records that a run skipped a resource for a missing scope (outside any data transaction);
    /// a later success clears it.
    func recordSkip(_ skip: ResourceSkip, companyID: String) async throws {
        try await connection.execute(
            """
            INSERT INTO understory.sync_state AS s (company_id, resource, skipped_scope, skipped_reason, skipped_at)
            VALUES ($1, $2, $3, $4, now())
            ON CONFLICT (company_id, resource) DO UPDATE SET
                skipped_scope = excluded.skipped_scope, skipped_reason = excluded.skipped_reason, skipped_at = now()
            """,
            [companyID, skip.resource.rawValue, skip.scope, skip.why]
        )
    }
}
