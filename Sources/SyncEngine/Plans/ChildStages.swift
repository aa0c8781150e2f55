import PostgresClient
import UnderstoryAPI

/// Several stages of children read per parent with one request each (booking tickets and
/// information answers; experience ticket variants and information requests) as one stage: the
/// children of a changed parent are all fetched, and replaced together in the parents'
/// transaction; a parent whose children of any kind cannot be stored is rejected, naming them.
struct ChildStages<Parent: SyncedRecord>: ParentChildStage {
    let stages: [any ParentChildStage<Parent>]

    /// The stages a run keeps, as one; ``NoChildren`` when it keeps none.
    static func of(_ chosen: [any ParentChildStage<Parent>]) -> any ChildStage<Parent> {
        switch chosen.count {
        case 0: return NoChildren()
        case 1: return chosen[0]
        default: return ChildStages(stages: chosen)
        }
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

    /// Each stage's rows in turn, each table's in its own buffer; a parent rejected (or gone) in
    /// any stage is rejected (or gone) once.
    func fetchRows(_ parentIDs: [String]) async throws -> ChildRows {
        var rows = ChildRows(requests: 0)
        var rejected = Set<String>(), gone = Set<String>()
        for stage in stages {
            let part = try await stage.fetchRows(parentIDs)
            for (spec, buffer) in part.tables { rows.append(buffer, to: spec) }
            rows.sanitized += part.sanitized
            rows.requests += part.requests
            for rejection in part.rejected where rejected.insert(rejection.parentID).inserted {
                rows.rejected.append(rejection)
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

extension ParentChildStage {
    /// The parents whose children are fetched in a batch: those new or changed in it (all of them with `--full`).
    func changedParents(_ loader: BatchLoader, parents: [Fetched<Parent>]) async throws -> [String] {
        context.options.full ? Array(Set(parents.map(\.model.id))) : try await loader.stagedChanges(parentSpec)
    }
}
