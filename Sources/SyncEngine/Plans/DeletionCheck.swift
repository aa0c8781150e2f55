import PostgresClient
import UnderstoryAPI

/// The one place that decides a stored row is gone: a row the API no longer lists is asked for by
/// its single GET, and only a 404 marks it. Lists are best-effort traversals (records shift between
/// pages, events move out of a window), so "not listed" alone never deletes anything.
///
/// - 404: the row gets `_deleted_at` (it is kept, with its last `raw`) and its child rows (event
///   sessions; order line items, refunds and transactions) are removed, as the API no longer has
///   them either. A later version of the row, listed or fetched again, clears `_deleted_at` and
///   brings its children back.
/// - 200: the live version is upserted (it moved out of the window, or the list skipped it).
///
/// The GETs run before any transaction is opened; the marks and upserts then commit together in
/// one transaction (rolled back in a dry run, so the counts are reported but nothing changes).
struct DeletionCheck<Item: SyncedRecord> {
    let context: PlanContext
    let resource: Resource
    /// The table written (its upsert decides what a changed live row is).
    let spec: TableSpec
    /// The single GET of one item.
    let fetch: @Sendable (String) async throws -> Fetched<Item>
    let stageRow: (Fetched<Item>, String, inout CopyBuffer) throws -> Void
    /// After the live rows are upserted, with the ids that changed (e.g. rebuild event sessions).
    var afterUpsert: ((BatchLoader, [String]) async throws -> Int)?

    /// What the GETs found, and what was written.
    struct Outcome: Sendable {
        /// Ids confirmed gone (404).
        var gone: [String] = []
        /// Ids still live (200) whose stored row was inserted or updated.
        var changed: [String] = []
        var counts = ResourceCounts()
    }

    /// Stored, not-deleted ids of this resource's table that are not in `seen`, optionally only
    /// rows matching `scope` (SQL over the table's columns; its parameters start at `$3`).
    func unlistedIDs(seen: [String], scope: String? = nil, parameters: [(any PostgresEncodable)?] = []) async throws -> [String] {
        let sql = """
            SELECT id FROM \(spec.qualifiedName)
            WHERE company_id = $1 AND _deleted_at IS NULL\(scope.map { " AND (\($0))" } ?? "")
            EXCEPT SELECT unnest($2::text[])
            """
        return try await context.connection.execute(sql, [context.companyID, PostgresTextArray(seen)] + parameters)
            .rows.map { try $0["id"].decode(String.self) }
            .sorted()
    }

    /// GETs every id (at most `childConcurrency` at once, no transaction open), then marks the
    /// gone ones and upserts the live ones in one transaction.
    func run(_ ids: [String]) async throws -> Outcome {
        guard !ids.isEmpty else { return Outcome() }
        let fetch = self.fetch
        let answers = try await boundedConcurrentMap(ids, limit: context.options.childConcurrency) { id -> (String, Fetched<Item>?) in
            do {
                return (id, try await fetch(id))
            } catch let error as UnderstoryAPIError where error.code == .notFound {
                return (id, nil)
            }
        }
        let gone = answers.filter { $0.1 == nil }.map(\.0).sorted()
        let live = answers.compactMap(\.1)
        var rows = CopyBuffer()
        for item in live { try stageRow(item, context.companyID, &rows) }
        let context = self.context, spec = self.spec, resource = self.resource, afterUpsert = self.afterUpsert
        let liveCount = Set(live.map(\.model.id)).count
        var outcome = try await context.inBatchTransaction { connection in
            var outcome = Outcome(gone: gone)
            if !live.isEmpty {
                try await context.loader.prepare([spec])
                try await context.loader.stage(spec, rows)
                let upserted = try await context.loader.upsertStaged(spec)
                outcome.changed = upserted.changedIDs
                outcome.counts.inserted = upserted.inserted
                outcome.counts.updated = upserted.updated
                outcome.counts.unchanged = liveCount - upserted.inserted - upserted.updated
                outcome.counts.childRows += try await afterUpsert?(context.loader, upserted.changedIDs) ?? 0
            }
            outcome.counts.deleted = try await Self.markDeleted(
                resource, ids: gone, companyID: context.companyID, runID: context.runID, on: connection
            )
            return outcome
        }
        outcome.counts.requests = ids.count
        if !gone.isEmpty || !live.isEmpty {
            context.logger.info(
                "unlisted rows checked by id",
                metadata: ["resource": "\(resource)", "gone": "\(gone.count)", "live": "\(live.count)"]
            )
        }
        return outcome
    }

    /// Sets `_deleted_at` on rows confirmed gone and removes their child rows, in the caller's
    /// transaction. Returns the rows marked (already-marked rows are left as they are).
    static func markDeleted(
        _ resource: Resource, ids: [String], companyID: String, runID: Int64, on connection: PostgresConnection
    ) async throws -> Int {
        guard !ids.isEmpty else { return 0 }
        let plans = resource.plans
        let table = plans.table
        let marked = try await connection.execute(
            """
            UPDATE \(table.qualifiedName) SET _deleted_at = now(), _run_id = $3
            WHERE company_id = $1 AND id = ANY($2::text[]) AND _deleted_at IS NULL
            """,
            [companyID, PostgresTextArray(ids), runID]
        ).affectedRows
        for child in plans.childTables {
            try await connection.execute(
                "DELETE FROM \(child.spec.qualifiedName) WHERE company_id = $1 AND \(child.parentColumn) = ANY($2::text[])",
                [companyID, PostgresTextArray(ids)]
            )
        }
        return marked
    }
}
