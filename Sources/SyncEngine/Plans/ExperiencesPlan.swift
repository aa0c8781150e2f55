import PostgresClient
import UnderstoryAPI

/// Experiences: a small list with no filters, so every run reads all of it. Rows that a complete
/// pass no longer lists (the API hides DELETED experiences) are asked for by id and get
/// `_deleted_at` only when that answers 404 (``DeletionCheck``); a pass that had to restart after
/// a rejected cursor is not trusted for that at all.
enum ExperiencesPlan {
    static func experiences(_ context: PlanContext) async throws -> ResourceCounts {
        let client = context.client
        let language = context.options.acceptLanguage
        let loader = PageLoader<Experience>(
            context: context, resource: .experiences, spec: .experiences,
            pages: { client.experiences(limit: 100, acceptLanguage: language) },
            stageRow: Tables.experiences.append(_:companyID:to:)
        )
        let traversal = CompletedTraversal()
        var counts = try await loader.run(
            hooks: .init(complete: { connection, finished in
                traversal.record(restarts: finished.restarts, seenIDs: finished.seenIDs)
                try await context.recordCompletion(.experiences, fullPass: true, on: connection, newestUpdatedAt: finished.newestUpdatedAt)
            }),
            collectIDs: true
        )
        if let seen = traversal.seenIDs {
            let check = deletionCheck(context)
            let checked = try await check.run(try await check.unlistedIDs(seen: seen))
            counts.deleted += checked.counts.deleted
            counts.inserted += checked.counts.inserted
            counts.updated += checked.counts.updated
        }
        return counts
    }

    /// Confirms unlisted experiences by `GET /v1/experiences/{id}` in the sync's language.
    static func deletionCheck(_ context: PlanContext, spec: TableSpec = .experiences) -> DeletionCheck<Experience> {
        let client = context.client
        let language = context.options.acceptLanguage
        return DeletionCheck(
            context: context, resource: .experiences, spec: spec,
            fetch: { id in try await client.experience(id: id, acceptLanguage: language) },
            stageRow: Tables.experiences.append(_:companyID:to:)
        )
    }
}
