import PostgresClient

/// `understory.rejected_items`: items set aside because they cannot be stored, until a later run
/// stores them (or finds them gone). Written in the transaction of the batch they came with.
struct RejectedItemStore {
    let connection: PostgresConnection

    /// Ids of the unresolved items of one resource (items without an id cannot be fetched again).
    func unresolvedIDs(companyID: String, resource: Resource) async throws -> [String] {
        try await connection.execute(
            """
            SELECT item_id FROM understory.rejected_items
            WHERE company_id = $1 AND resource = $2 AND resolved_at IS NULL AND item_id IS NOT NULL ORDER BY item_id
            """,
            [companyID, resource.rawValue]
        ).rows.map { try $0["item_id"].decode(String.self) }
    }

    /// Records each item as rejected by `runID` (nil: by the webhook inbox worker, which has no
    /// run row) — seen again: reason, text and last run updated, and unresolved again if it had been resolved.
    func record(_ items: [RejectedItem], companyID: String, runID: Int64?) async throws {
        for item in items {
            try await connection.execute(
                """
                INSERT INTO understory.rejected_items AS r (company_id, resource, item_key, item_id, reason, raw_text, first_run_id, last_run_id)
                VALUES ($1, $2, coalesce($3::text, 'sha256:' || encode(sha256(convert_to(coalesce($5::text, ''), 'UTF8')), 'hex')),
                        $3::text, $4, coalesce($5::text, ''), $6, $6)
                ON CONFLICT (company_id, resource, item_key) DO UPDATE SET
                    reason = excluded.reason,
                    raw_text = CASE WHEN $5::text IS NULL THEN r.raw_text ELSE excluded.raw_text END,
                    last_seen_at = now(), last_run_id = excluded.last_run_id, resolved_at = NULL
                """,
                [companyID, item.resource.rawValue, item.itemID, item.reason, item.raw, runID]
            )
        }
    }

    /// Marks the unresolved items `ids` of `resource` resolved (stored after all, or gone) by
    /// `runID` (nil: by the webhook inbox worker). Returns how many were.
    @discardableResult
    func resolve(_ ids: [String], companyID: String, resource: Resource, runID: Int64?) async throws -> Int {
        guard !ids.isEmpty else { return 0 }
        return try await connection.execute(
            """
            UPDATE understory.rejected_items SET resolved_at = now(), last_run_id = $4
            WHERE company_id = $1 AND resource = $2 AND item_key = ANY($3::text[]) AND item_id IS NOT NULL AND resolved_at IS NULL
            """,
            [companyID, resource.rawValue, PostgresTextArray(ids), runID]
        ).affectedRows
    }

    /// Unresolved items per account and resource.
    func unresolvedCounts() async throws -> [String: [String: Int]] {
        var counts: [String: [String: Int]] = [:]
        for row in try await connection.execute(
            "SELECT company_id, resource, count(*) AS n FROM understory.rejected_items WHERE resolved_at IS NULL GROUP BY 1, 2"
        ).rows {
            counts[try row["company_id"].decode(String.self), default: [:]][try row["resource"].decode(String.self)] = try row["n"].decode(Int.self)
        }
        return counts
    }
}
