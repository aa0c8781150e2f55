import PostgresClient
import UnderstoryAPI

/// Several stages of children read per parent with one request each (booking tickets and
/// information answers; experience ticket variants and information requests) as one stage: the
/// children of a changed parent are all fetched, and replaced together in the parents'
/// transaction; a parent whose children of any kind cannot be stored is rejected, naming them.
struct ChildStages<Parent: SyncedRecord>: ChildStage {
    let stages: [any ChildStage<Parent>]

    /// The stages switched on, as one; nil when none is.
    static func of(_ stages: [(any ChildStage<Parent>)?]) -> (any ChildStage<Parent>)? {
        let chosen = stages.compactMap { $0 }
        guard chosen.count > 1 else { return chosen.first }
        return ChildStages(stages: chosen)
    }

    var context: PlanContext { stages[0].context }
    var resource: Resource { stages[0].resource }
    var parentSpec: TableSpec { stages[0].parentSpec }
    var tables: [TableSpec] { stages.flatMap { $0.tables } }
    /// Every stage names the parent with the same column (`booking_id`, `experience_id`).
    var parentColumn: String { stages[0].parentColumn }

    func prefetch(_ parents: [Fetched<Parent>]) async throws {
        for stage in stages { try await stage.prefetch(parents) }
    }

    func cancelPrefetches() {
        for stage in stages { stage.cancelPrefetches() }
    }

    func stage(_ loader: BatchLoader, parents: [Fetched<Parent>]) async throws -> StagedChildren {
        let parentIDs = try await changedParents(loader, parents: parents)
        guard !parentIDs.isEmpty else { return StagedChildren() }
        return try await stageRows(loader, rows: try await fetchRows(parentIDs), parentIDs: parentIDs, parents: parents)
    }

    /// Each stage's rows in turn, one buffer per table; a parent rejected (or gone) in any stage is
    /// rejected (or gone) once.
    func fetchRows(_ parentIDs: [String]) async throws -> ChildRows {
        var rows = ChildRows(buffers: [])
        var rejected = Set<String>(), gone = Set<String>()
        for stage in stages {
            let part = try await stage.fetchRows(parentIDs)
            rows.buffers += part.buffers
            rows.sanitized += part.sanitized
            rows.requests += part.requests
            for rejection in part.rejected {
                if rejected.insert(rejection.parentID).inserted { rows.rejected.append(rejection) }
            }
            gone.formUnion(part.gone)
        }
        rows.gone = gone.sorted()
        return rows
    }

    func replaceDerived(_ loader: BatchLoader, parentIDs: [String]) async throws -> Int {
        var written = 0
        for stage in stages { written += try await stage.replaceDerived(loader, parentIDs: parentIDs) }
        return written
    }
}

extension ChildStage {
    /// The parents whose children are fetched in a batch: those new or changed in it (all of them with `--full`).
    func changedParents(_ loader: BatchLoader, parents: [Fetched<Parent>]) async throws -> [String] {
        context.options.full ? Array(Set(parents.map(\.model.id))) : try await loader.stagedChanges(parentSpec)
    }
}
