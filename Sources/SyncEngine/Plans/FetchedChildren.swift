import PostgresClient
import UnderstoryAPI

/// Children read with one list request per parent (booking tickets, experience ticket variants):
/// fetched inside the batch's transaction only for parents that are new or changed in it (all of
/// them with `--full`), and swapped in whole, in the same transaction as the parents, for the
/// parents whose stored version is not newer once they are upserted (``ChildStage``). A parent
/// whose children cannot be stored is rejected, naming the child; the rest load.
struct FetchedChildren<Parent: SyncedRecord, Child: Sendable>: ParentChildStage {
    let context: PlanContext
    /// The parents' resource and table.
    let resource: Resource
    let parentSpec: TableSpec
    /// The children's table, and the column naming the parent.
    let table: Table<Child>
    let parentColumn: String
    /// What the children are called in a rejection (`tickets`).
    let label: String
    /// Every child of one parent, in API order (a missing parent is `.notFound`).
    let fetch: @Sendable (PlanContext, _ parentID: String) async throws -> [Fetched<Child>]
    /// A table derived from the children's JSON (booking ticket items), rebuilt with them.
    var derived: TableSpec? = nil

    var tables: [TableSpec] { [table.spec] }

    /// Children are fetched once the changed parents are known (a parent's children are one request).
    func prefetch(_ parents: [Fetched<Parent>]) async throws {}
    func cancelPrefetches() {}

    func stage(_ loader: BatchLoader, parents: [Fetched<Parent>]) async throws -> StagedChildren {
        let parentIDs = try await changedParents(loader, parents: parents)
        guard !parentIDs.isEmpty else { return StagedChildren() }
        return try await stageRows(loader, rows: try await fetchRows(parentIDs), parentIDs: parentIDs, parents: parents)
    }

    func fetchRows(_ parentIDs: [String]) async throws -> ChildRows {
        let context = self.context, fetch = self.fetch
        let fetched = try await boundedConcurrentMap(parentIDs, limit: context.options.childConcurrency) {
            id -> (String, Result<[Fetched<Child>], UnderstoryAPIError>?) in
            do {
                return (id, .success(try await fetch(context, id)))
            } catch let error as UnderstoryAPIError where error.code == .notFound {
                return (id, nil)
            } catch let error as UnderstoryAPIError where error.code == .invalidResponse {
                return (id, .failure(error))
            }
        }
        var rows = ChildRows(requests: parentIDs.count)
        for (parentID, answer) in fetched {
            var staged = CopyBuffer(reservingCapacity: 0)
            do {
                switch answer {
                case nil:
                    rows.gone.append(parentID)
                case .success(let items):
                    try table.append(children: items, parentID: parentID, companyID: context.companyID, to: &staged)
                    rows.sanitized += items.count(where: \.sanitized)
                case .failure(let error):
                    throw ItemRejection("\(label): " + UndecodableItem(error: error, raw: "").reason)
                }
            } catch let rejection as ItemRejection {
                rows.rejected.append((parentID, rejection.reason))
                continue
            }
            rows.append(staged, to: table.spec)
        }
        return rows
    }

    func replaceDerived(_ loader: BatchLoader, parentIDs: [String]) async throws -> Int {
        guard let derived else { return 0 }
        return try await loader.replaceDerived(derived, companyID: context.companyID, parentIDs: parentIDs)
    }
}
