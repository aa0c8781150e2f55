import PostgresClient
import ServiceLifecycle
import UnderstoryAPI

/// Reconcile's check of the children a resource fetches per parent (order line items, refunds and
/// transactions; booking tickets and their items; experience ticket variants): whether a change
/// to them moves the parent's `updated_at` is not documented, so incremental sync cannot promise
/// fresh children. This fetches the children of recent parents again and replaces, per parent,
/// those that differ from the stored ones in any column (derived rows, the ticket items, are
/// rebuilt with them).
///
/// Parents go in chunks: the chunk's stored versions (`updated_at`) are noted and its children
/// fetched (no transaction open), then compared and replaced in one transaction (rolled back in a
/// dry run) — only for parents still at the version noted, locked until the commit: a parent
/// written meanwhile (a webhook, a sync) came with children at least as new, which stay (the
/// next reconcile checks them again).
struct ChildrenAudit {
    let context: PlanContext
    let resource: Resource
    /// The parents' table.
    let parentSpec: TableSpec
    let stage: any ChildStage
    var chunkSize = 100

    struct Outcome: Sendable {
        /// Parents whose children differed (and were replaced).
        var parentsFixed = 0
        var rowsWritten = 0
        var requests = 0
    }

    /// Checks the children of parents created at or after `since` (every parent when nil) plus
    /// `alsoParents`, leaving out `except` (parents confirmed gone).
    func run(since: Timestamp?, alsoParents: Set<String>, except: Set<String>) async throws -> Outcome {
        let recent = try await context.connection.execute(
            """
            SELECT id FROM \(parentSpec.qualifiedName)
            WHERE company_id = $1 AND _deleted_at IS NULL AND ($2::timestamptz IS NULL OR created_at >= $2::timestamptz)
            """,
            [context.companyID, since?.rfc3339]
        ).rows.map { try $0["id"].decode(String.self) }
        let parentIDs = Set(recent).union(alsoParents).subtracting(except).sorted()
        guard !parentIDs.isEmpty else { return Outcome() }
        try await context.loader.prepare(stage.tables)
        var outcome = Outcome()
        var start = 0
        while start < parentIDs.count {
            // SIGTERM/SIGINT: the chunks done so far are committed; stop here like a sync does.
            if Task.isShuttingDownGracefully {
                throw SyncError(
                    .interrupted,
                    "stopped by a signal after checking the children of \(start) \(resource); the next reconcile checks them again",
                    resource: resource
                )
            }
            let chunk = Array(parentIDs[start..<min(start + chunkSize, parentIDs.count)])
            start += chunk.count
            let versions = try await storedVersions(chunk)
            let rows = try await stage.fetchRows(chunk)
            outcome.requests += rows.requests
            // A parent gone meanwhile is confirmed by the next reconcile; one whose children cannot
            // be stored is left as it is (a sync rejects it).
            let left = Set(rows.gone).union(rows.rejected.map(\.parentID))
            let fixed = try await replaceDiffering(rows, versions: versions.filter { !left.contains($0.id) })
            outcome.parentsFixed += fixed.parents
            outcome.rowsWritten += fixed.rows
        }
        if outcome.parentsFixed > 0 {
            context.logger.info(
                "children differed and were replaced", metadata: ["resource": "\(resource)", "parents": "\(outcome.parentsFixed)"]
            )
        }
        return outcome
    }

    /// The stored (not deleted) parents among `ids` with their `updated_at`, as text the same
    /// session reads back exactly.
    private func storedVersions(_ ids: [String]) async throws -> [(id: String, version: String)] {
        try await context.connection.execute(
            """
            SELECT id, updated_at::text AS version FROM \(parentSpec.qualifiedName)
            WHERE company_id = $1 AND id = ANY($2::text[]) AND _deleted_at IS NULL ORDER BY id
            """,
            [context.companyID, PostgresTextArray(ids)]
        ).rows.map { (try $0["id"].decode(String.self), try $0["version"].decode(String.self)) }
    }

    /// Locks the parents still stored at the version noted before their children were fetched,
    /// finds those whose stored children differ from the fetched ones, and replaces those.
    private func replaceDiffering(_ rows: ChildRows, versions: [(id: String, version: String)]) async throws -> (parents: Int, rows: Int) {
        guard !versions.isEmpty else { return (0, 0) }
        let companyID = context.companyID, loader = context.loader, stage = self.stage, parentSpec = self.parentSpec
        return try await context.inBatchTransaction { connection in
            let parentIDs = try await connection.execute(
                """
                SELECT t.id FROM \(parentSpec.qualifiedName) AS t
                JOIN unnest($2::text[], $3::text[]) AS v(id, version) ON t.id = v.id
                WHERE t.company_id = $1 AND t._deleted_at IS NULL AND t.updated_at = v.version::timestamptz
                ORDER BY t.id
                FOR UPDATE OF t
                """,
                [companyID, PostgresTextArray(versions.map(\.id)), PostgresTextArray(versions.map(\.version))]
            ).rows.map { try $0["id"].decode(String.self) }
            guard !parentIDs.isEmpty else { return (0, 0) }
            try await rows.stage(loader)
            var differing = Set<String>()
            for spec in stage.tables {
                let drift = try await connection.execute(
                    spec.childDriftSQL(parentColumn: stage.parentColumn), [companyID, PostgresTextArray(parentIDs)]
                ).rows
                for row in drift { differing.insert(try row["parent_id"].decode(String.self)) }
            }
            let ids = differing.sorted()
            var written = 0
            for spec in stage.tables {
                written += try await loader.replaceChildren(spec, parentColumn: stage.parentColumn, companyID: companyID, parentIDs: ids)
            }
            written += try await stage.replaceDerived(loader, parentIDs: ids)
            return (ids.count, written)
        }
    }
}
