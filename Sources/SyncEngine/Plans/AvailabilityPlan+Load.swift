import PostgresClient
import UnderstoryAPI

extension AvailabilityPlan {
    /// Loads the reads of a chunk of experiences in one transaction: history rows for the changed
    /// availabilities, then the current rows (reconcile first counts what drifted), the rejected
    /// items, and — for the last chunk — the completed pass.
    static func load(
        _ reads: [(experienceID: String, read: Read?)], _ declaration: ObservedResource, spec: TableSpec, _ context: PlanContext,
        unresolved: Set<String>, reconciling: Bool, complete: Bool
    ) async throws -> ResourceCounts {
        var counts = ResourceCounts()
        var rows = CopyBuffer(), rejected: [RejectedItem] = [], staged = Set<String>()
        for (experienceID, read) in reads {
            guard let read else { continue }
            counts.pages += read.pages
            counts.requests += read.pages
            counts.restarts += read.restarts
            rejected += read.undecodable.map { RejectedItem(resource: declaration.resource, $0) }
            for item in read.items {
                do {
                    try declaration.table.append(item, companyID: context.companyID, parentID: experienceID, to: &rows)
                    staged.insert(item.model.eventID)
                    counts.sanitized += item.sanitized ? 1 : 0
                } catch let rejection as ItemRejection {
                    rejected.append(RejectedItem(resource: declaration.resource, itemID: item.model.eventID, reason: rejection.reason, raw: item.raw))
                }
            }
        }
        let stored = Array(staged.intersection(unresolved).subtracting(rejected.compactMap(\.itemID)))
        let loader = context.loader, resource = declaration.resource, historySQL = declaration.historySQL
        let buffer = rows, quarantined = rejected
        let written = try await context.inBatchTransaction { connection -> (BatchLoader.Outcome, Int, [Bool], Int) in
            try await loader.stage(spec, buffer)
            var drift: [Bool] = []
            if reconciling { drift = try await connection.execute(spec.driftSQL).rows.map { try $0["missing"].decode(Bool.self) } }
            let history = try await connection.execute(historySQL, [context.runID]).affectedRows
            let outcome = try await loader.upsertStaged(spec)
            var resolved = 0
            if !context.options.dryRun {
                let store = RejectedItemStore(connection: connection)
                try await store.record(quarantined, companyID: context.companyID, runID: context.runID)
                resolved = try await store.resolve(stored, companyID: context.companyID, resource: resource, runID: context.runID)
                if complete { try await context.recordCompletion(resource, fullPass: true, on: connection, newestUpdatedAt: nil) }
            }
            return (outcome, history, drift, resolved)
        }
        counts.inserted = written.0.inserted
        counts.updated = written.0.updated
        counts.unchanged = staged.count - written.0.inserted - written.0.updated
        counts.childRows = written.1
        counts.resolved = written.3
        counts.rejected = rejected.count
        if reconciling {
            counts.missing = written.2.count(where: { $0 })
            counts.stale = written.2.count(where: { !$0 })
        }
        if !rejected.isEmpty {
            context.logger.warning("items rejected: see understory.rejected_items", metadata: ["resource": "\(resource)", "rejected": "\(rejected.count)"])
        }
        return counts
    }
}
