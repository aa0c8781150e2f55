import PostgresClient
import UnderstoryAPI

/// One resource's webhook subjects, fetched by id outside any transaction, then written in the
/// inbox worker's transaction the way a sync writes them: the rows, their children (a booking's
/// tickets, an experience's ticket variants), derived rows (event sessions); the gone ones marked
/// deleted with their children removed. Built from the resource's declaration (``ResourcePlans``).
struct InboxBatch: Sendable {
    /// Ids that could not be fetched, with why (their messages are retried).
    var failures: [String: String]
    /// Writes the batch in the caller's transaction; returns the ids that could not be stored, with why.
    let write: @Sendable (PlanContext) async throws -> [String: String]
}

extension SyncedResource {
    /// Fetches the current version of each subject (id → a deletion message is among its rows: no
    /// GET needed), at most `concurrency` at once; a 404 means gone.
    func inboxBatch(_ subjects: [String: Bool], context: PlanContext, concurrency: Int) async -> InboxBatch {
        typealias Answer = InboxAnswer<Item>
        let fetched = try? await boundedConcurrentMap(subjects.sorted { $0.key < $1.key }, limit: concurrency) { id, deleted -> (String, Answer) in
            if deleted { return (id, .gone) }
            do {
                return (id, .item(try await Item.fetch(id: id, context)))
            } catch let error as UnderstoryAPIError where error.code == .notFound {
                return (id, .gone)
            } catch {
                return (id, .failed("\(error)"))
            }
        }
        var failures: [String: String] = [:], items: [Fetched<Item>] = [], gone: [String] = []
        for (id, answer) in fetched ?? subjects.keys.map { ($0, .failed("cancelled before it was fetched")) } {
            switch answer {
            case .item(let item): items.append(item)
            case .gone: gone.append(id)
            case .failed(let message): failures[id] = message
            }
        }
        return InboxBatch(failures: failures) { [self, items, gone] context in
            var failures: [String: String] = [:], rows = CopyBuffer(reservingCapacity: 4096), staged: [Fetched<Item>] = []
            for item in items {
                do {
                    try table.append(item, companyID: context.companyID, to: &rows)
                    staged.append(item)
                } catch {
                    failures[item.model.id] = "\(error)"
                }
            }
            if rows.rowCount > 0 {
                let loader = context.loader, spec = table.spec, stage = children?(context)
                try await loader.prepare([spec] + (stage?.tables ?? []))
                try await loader.stage(spec, rows)
                // An item's children come with it, as in a sync: one whose children cannot be
                // stored is left out and its message retried (then parked).
                let children = try await stage?.stage(loader, parents: staged) ?? StagedChildren()
                for item in children.rejected {
                    if let id = item.itemID { failures[id] = item.reason }
                }
                let outcome = try await loader.upsertStaged(spec)
                _ = try await stage?.replaceStanding(loader, children)
                _ = try await derived?(loader, context.companyID, outcome.changedIDs)
            }
            _ = try await DeletionCheck<Item>.markDeleted(resource, ids: gone, companyID: context.companyID, runID: context.runID, on: context.connection)
            return failures
        }
    }
}

/// The current state of one webhook subject, as the API tells it.
enum InboxAnswer<Item: Sendable>: Sendable {
    case item(Fetched<Item>)
    /// Deleted (a deletion message, or 404).
    case gone
    case failed(String)
}
