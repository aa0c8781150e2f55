import PostgresClient
import UnderstoryAPI

/// One resource's webhook subjects, fetched by id outside any transaction, then written in the
/// inbox worker's transaction the way a sync writes them: the rows, their children (a booking's
/// tickets, an experience's ticket variants, fetched there), derived rows (event sessions); the
/// confirmed-gone ones marked deleted with their children removed. Built from the resource's
/// declaration (``ResourcePlans``). Which ids to write is the worker's choice, so a subject the
/// database refuses can be written again without the others, or the others without it.
struct InboxBatch: Sendable {
    let resource: Resource
    /// Ids whose current version was fetched.
    var fetched: Set<String>
    /// Ids that answered 404.
    var gone: Set<String>
    /// Ids that could not be fetched, with why (their messages are retried).
    var failures: [String: String]
    /// Ids whose item does not decode: quarantined as `sync` quarantines it (also in ``failures``).
    var undecodable: [String: RejectedItem]
    /// The JSON of each fetched item, for the quarantine of one the database refuses.
    var raw: [String: String]
    /// Writes the fetched items `store` (with their children) and marks `deleted` deleted, in the
    /// caller's transaction; returns the items that cannot be stored (checked in Swift, or a child
    /// that cannot be), left out of the write. Throws what the database or a child fetch throws.
    let write: @Sendable (PlanContext, _ store: Set<String>, _ deleted: [String]) async throws -> [RejectedItem]
}

extension SyncedResource {
    /// Fetches the current version of each of `ids`, at most `concurrency` at once; a 404 means gone.
    func inboxBatch(_ ids: [String], context: PlanContext, concurrency: Int) async -> InboxBatch {
        typealias Answer = InboxAnswer<Item>
        let fetched = try? await boundedConcurrentMap(ids.sorted(), limit: concurrency) { id -> (String, Answer) in
            do {
                return (id, .item(try await Item.fetch(id: id, context)))
            } catch let error as UnderstoryAPIError where error.code == .notFound {
                return (id, .gone)
            } catch let error as UnderstoryAPIError where error.code == .invalidResponse {
                return (id, .undecodable(error))
            } catch {
                return (id, .failed("\(error)"))
            }
        }
        var batch = InboxBatch(resource: resource, fetched: [], gone: [], failures: [:], undecodable: [:], raw: [:]) { _, _, _ in [] }
        var items: [String: Fetched<Item>] = [:]
        for (id, answer) in fetched ?? ids.map({ ($0, .failed("cancelled before it was fetched")) }) {
            switch answer {
            case .item(let item):
                items[id] = item
                batch.fetched.insert(id)
                batch.raw[id] = item.raw
            case .gone:
                batch.gone.insert(id)
            case .undecodable(let error):
                let rejection = RejectedItem(resource: resource, itemID: id, reason: UndecodableItem(error: error, raw: "").reason, raw: nil)
                batch.undecodable[id] = rejection
                batch.failures[id] = "does not decode: \(rejection.reason)"
            case .failed(let message):
                batch.failures[id] = message
            }
        }
        return InboxBatch(
            resource: resource, fetched: batch.fetched, gone: batch.gone, failures: batch.failures, undecodable: batch.undecodable, raw: batch.raw
        ) { [self, items] context, store, deleted in
            var rejected: [RejectedItem] = [], rows = CopyBuffer(reservingCapacity: 4096), staged: [Fetched<Item>] = []
            for id in store.sorted() {
                guard let item = items[id] else { continue }
                do {
                    try table.append(item, companyID: context.companyID, to: &rows)
                    staged.append(item)
                } catch let rejection as ItemRejection {
                    rejected.append(RejectedItem(resource: resource, itemID: id, reason: rejection.reason, raw: item.raw))
                }
            }
            if rows.rowCount > 0 {
                let loader = context.loader, spec = table.spec, stage = childStage(context)
                try await loader.prepare([spec] + stage.tables)
                try await loader.stage(spec, rows)
                // An item's children come with it, as in a sync: one whose children cannot be
                // stored is left out (quarantined) and its message retried.
                let children = try await stage.stage(loader, parents: staged)
                rejected += children.rejected
                let outcome = try await loader.upsertStaged(spec)
                _ = try await stage.replaceStanding(loader, children)
                _ = try await derived(loader, context.companyID, outcome.changedIDs)
            }
            _ = try await DeletionCheck<Item>.markDeleted(resource, ids: deleted, companyID: context.companyID, runID: context.runID, on: context.connection)
            return rejected
        }
    }
}

extension InboxBatch {
    /// A resource no webhook topic names (event availability): every id fails with why, and its
    /// messages are retried as any failure is (they can only come from a row written by hand).
    static func unrouted(_ resource: Resource, ids: [String]) -> InboxBatch {
        let why = "no webhook topic names \(resource); sync reads it"
        return InboxBatch(
            resource: resource, fetched: [], gone: [], failures: Dictionary(ids.map { ($0, why) }, uniquingKeysWith: { first, _ in first }),
            undecodable: [:], raw: [:]
        ) { _, _, _ in [] }
    }
}

/// The current state of one webhook subject, as the API tells it.
enum InboxAnswer<Item: Sendable>: Sendable {
    case item(Fetched<Item>)
    /// 404.
    case gone
    case undecodable(UnderstoryAPIError)
    case failed(String)
}
