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
        /// Ids left undecided: the GET failed (an API error, a timeout) or the item cannot be
        /// stored (quarantined in `rejected_items`, counted in `counts.rejected`). Their rows stay
        /// as they are; the next check asks again.
        var undecided: [String] = []
        var counts = ResourceCounts()
    }

    /// What one GET answered.
    private enum Answer: Sendable {
        case live(Fetched<Item>)
        case gone
        /// The item is there but cannot be stored: quarantined.
        case rejected(RejectedItem)
        /// The GET failed: undecided.
        case failed(String)
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
    /// gone ones and upserts the live ones in one transaction. Each id is decided on its own: one
    /// whose GET fails, or whose item does not decode or cannot be stored (quarantined in
    /// `rejected_items`, as a sync does), is left undecided and the others go on.
    func run(_ ids: [String]) async throws -> Outcome {
        guard !ids.isEmpty else { return Outcome() }
        let fetch = self.fetch, resource = self.resource
        let answers = try await boundedConcurrentMap(ids, limit: context.options.childConcurrency) { id -> (String, Answer) in
            do {
                return (id, .live(try await fetch(id)))
            } catch let error as UnderstoryAPIError where error.code == .notFound {
                return (id, .gone)
            } catch let error as UnderstoryAPIError where error.code == .invalidResponse {
                return (id, .rejected(RejectedItem(resource: resource, itemID: id, reason: UndecodableItem(error: error, raw: "").reason, raw: nil)))
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                return (id, .failed(String(describing: error).split(separator: "\n").first.map(String.init) ?? "failed"))
            }
        }
        var gone: [String] = [], live: [Fetched<Item>] = [], rejected: [RejectedItem] = [], failed: [(id: String, error: String)] = []
        var rows = CopyBuffer()
        for (id, answer) in answers {
            switch answer {
            case .gone: gone.append(id)
            case .rejected(let item): rejected.append(item)
            case .failed(let error): failed.append((id, error))
            case .live(let item):
                do {
                    try stageRow(item, context.companyID, &rows)
                    live.append(item)
                } catch let rejection as ItemRejection {
                    rejected.append(RejectedItem(resource: resource, itemID: item.model.id, reason: rejection.reason, raw: item.raw))
                }
            }
        }
        gone.sort()
        var outcome: Outcome
        do {
            outcome = try await write(live: live, rows: rows, gone: gone, rejected: rejected)
        } catch let error as PostgresError where error.sqlState?.isDataException == true && !live.isEmpty {
            // The database refused a value of a live item: each goes alone; the one refused is quarantined.
            outcome = try await write(live: [], rows: CopyBuffer(), gone: gone, rejected: rejected)
            for item in live {
                var one = CopyBuffer()
                try stageRow(item, context.companyID, &one)
                let single: Outcome
                do {
                    single = try await write(live: [item], rows: one, gone: [], rejected: [])
                } catch let refused as PostgresError where refused.sqlState?.isDataException == true {
                    let reason = "PostgreSQL refused a value (SQLSTATE \(refused.sqlState?.rawValue ?? "?")): \(refused.message)"
                    single = try await write(live: [], rows: CopyBuffer(), gone: [], rejected: [
                        RejectedItem(resource: resource, itemID: item.model.id, reason: reason, raw: item.raw)
                    ])
                }
                outcome.changed += single.changed
                outcome.undecided += single.undecided
                outcome.counts.inserted += single.counts.inserted
                outcome.counts.updated += single.counts.updated
                outcome.counts.unchanged += single.counts.unchanged
                outcome.counts.childRows += single.counts.childRows
                outcome.counts.rejected += single.counts.rejected
            }
        }
        outcome.undecided += failed.map(\.id)
        outcome.counts.requests = ids.count
        if !gone.isEmpty || !live.isEmpty {
            context.logger.info(
                "unlisted rows checked by id",
                metadata: ["resource": "\(resource)", "gone": "\(gone.count)", "live": "\(live.count)"]
            )
        }
        if !outcome.undecided.isEmpty {
            context.logger.warning(
                "unlisted rows left undecided; the next check asks again",
                metadata: [
                    "resource": "\(resource)", "undecided": "\(outcome.undecided.count)", "rejected": "\(rejected.count)",
                    "first_error": "\(failed.first.map { "\($0.id): \($0.error)" } ?? "-")",
                ]
            )
        }
        return outcome
    }

    /// In one transaction: upserts the live rows (staged in `rows`), marks the gone ones deleted,
    /// and records the rejected items (a dry run rolls it all back and records nothing).
    private func write(live: [Fetched<Item>], rows: CopyBuffer, gone: [String], rejected: [RejectedItem]) async throws -> Outcome {
        let context = self.context, spec = self.spec, resource = self.resource, afterUpsert = self.afterUpsert
        let liveCount = Set(live.map(\.model.id)).count
        return try await context.inBatchTransaction { connection in
            var outcome = Outcome(gone: gone, undecided: rejected.compactMap(\.itemID))
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
            if !rejected.isEmpty && !context.options.dryRun {
                try await RejectedItemStore(connection: connection).record(rejected, companyID: context.companyID, runID: context.runID)
            }
            outcome.counts.rejected = rejected.count
            return outcome
        }
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
