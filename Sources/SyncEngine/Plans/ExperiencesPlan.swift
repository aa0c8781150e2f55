import PostgresClient
import UnderstoryAPI

/// Experiences: a small list with no filters, so every run reads all of it. Rows that a complete
/// pass no longer lists (the API hides DELETED experiences) get `_deleted_at`; a pass that had to
/// restart after a rejected cursor is not trusted for that.
enum ExperiencesPlan {
    static func experiences(_ context: PlanContext) async throws -> ResourceCounts {
        let client = context.client
        let language = context.options.acceptLanguage
        let loader = PageLoader<Experience>(
            context: context, resource: .experiences, spec: .experiences,
            pages: { client.experiences(limit: 100, acceptLanguage: language) },
            stageRow: StagedRows.append
        )
        let companyID = context.companyID
        let runID = context.runID
        let deleted = DeletedCount()
        var counts = try await loader.run(
            hooks: .init(complete: { connection, traversal in
                if traversal.restarts == 0 {
                    let result = try await connection.execute(
                        """
                        UPDATE understory.experiences SET _deleted_at = now(), _run_id = $3
                        WHERE company_id = $1 AND _deleted_at IS NULL AND NOT (id = ANY($2::text[]))
                        """,
                        [companyID, PostgresTextArray(traversal.seenIDs), runID]
                    )
                    deleted.value = result.affectedRows
                }
                try await context.recordCompletion(.experiences, fullPass: true, on: connection, newestUpdatedAt: traversal.newestUpdatedAt)
            }),
            collectIDs: true
        )
        counts.deleted = deleted.value
        return counts
    }

    /// Carries a count out of the completion hook.
    final class DeletedCount: @unchecked Sendable {
        // Invariant: written once inside the loader's last transaction, read after `run` returns.
        var value = 0
    }
}
