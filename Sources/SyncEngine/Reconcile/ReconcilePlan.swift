import Foundation
import PostgresClient
import UnderstoryAPI

/// `reconcile`: audit one resource against the API and repair what drifted.
///
/// 1. Walk the whole list (bookings and orders newest-first by `updated_at` with no cutoff; the
///    events window; every experience). Each batch is compared with the table before it is
///    written: ids the table lacks are *missing*, rows whose any stored column differs are
///    *stale*; both are then written with reconcile's upsert, where the API's version wins over
///    any edit of the table — unless the stored row is newer (``NewestWins``): a page older than
///    a webhook's commit is not stale and writes nothing.
/// 2. After a complete walk that never restarted, stored rows the list no longer holds go to
///    ``DeletionCheck``: a 404 on the single GET marks them deleted, a 200 writes the live version.
///    An item listed but not decodable or storable is quarantined in `rejected_items` (the run
///    ends with exit 65, as a sync does) and counts as listed, never as deleted; an id whose GET
///    fails is left undecided for the next reconcile, and the others are still confirmed.
/// 3. Children fetched per parent (``ChildrenAudit``): the line items, refunds and transactions
///    of orders and the tickets (and ticket items) of bookings created in the last `childrenDays`,
///    the ticket variants of every experience — and the children of every missing or stale
///    parent — are fetched again, compared with the stored ones, and replaced per parent where
///    they differ (*children fixed*), because a change to them may not move the parent's `updated_at`.
///
/// Never moves the sync position (`sync_state`). In a dry run every write is rolled back and the
/// same counts are reported.
enum ReconcilePlan {
    static func run(_ context: PlanContext, resource: Resource) async throws -> ResourceCounts {
        try await resource.plans.reconcile(context)
    }

    /// Walks the declaration's list, then audits the children it fetches per parent, if any.
    static func reconcile<Item>(_ declaration: SyncedResource<Item>, _ context: PlanContext) async throws -> ResourceCounts {
        let walked = try await walk(declaration, context)
        let stage = declaration.childStage(context)
        guard !stage.tables.isEmpty else { return walked.counts }
        var counts = walked.counts
        // A full list is small: all its parents; otherwise those created in the last childrenDays.
        let since: Timestamp? =
            if case .fullList = declaration.traversal { nil } else {
                Timestamp(context.client.clock.wallNow.addingTimeInterval(-Double(context.options.childrenDays) * 86_400))
            }
        let audit = try await ChildrenAudit(context: context, resource: declaration.resource, parentSpec: declaration.table.spec, stage: stage)
            .run(since: since, alsoParents: walked.changed, except: walked.gone)
        counts.childrenFixed = audit.parentsFixed
        counts.childRows += audit.rowsWritten
        counts.requests += audit.requests
        return counts
    }

    /// What walking one resource found and did.
    struct Walk {
        var counts: ResourceCounts
        /// Ids found missing or stale (and written, unless a dry run).
        var changed: Set<String>
        /// Ids confirmed gone.
        var gone: Set<String>
    }

    /// Walks the whole list the declaration's traversal reads (bookings and orders newest first
    /// with no cutoff, the events window, every experience), comparing each batch before writing it.
    static func walk<Item>(_ declaration: SyncedResource<Item>, _ context: PlanContext) async throws -> Walk {
        let resource = declaration.resource
        let spec = declaration.table.spec.reconciling
        let now = context.client.clock.wallNow
        let scope = declaration.traversal.scope(context.options, now: now)
        let check = declaration.deletionCheck(context, spec: spec)
        let tally = DriftTally()
        // Children are audited apart (``ChildrenAudit``), not replaced with their parents.
        let loader = declaration.loader(context, spec: spec, pages: declaration.traversal.everything(context, now: now), withChildren: false)
        var counts = try await loader.run(.init(
            audit: { batchLoader, items in
                // Compared before the upsert, in the batch's transaction (a dry run sees the
                // table as it is, since every batch before was rolled back).
                let drift = try await batchLoader.connection.execute(spec.driftSQL).rows
                try tally.add(
                    missing: drift.filter { try $0["missing"].decode(Bool.self) }.map { try $0["id"].decode(String.self) },
                    stale: drift.filter { try !$0["missing"].decode(Bool.self) }.map { try $0["id"].decode(String.self) }
                )
            },
            // Every listed id, stored or not: an item that cannot be decoded or stored is
            // quarantined (rejected_items), never taken for deleted.
            listed: { ids in tally.list(ids) }
        ))
        var missing = tally.missing, stale = tally.stale.subtracting(tally.missing), gone = Set<String>()
        if counts.restarts == 0 {
            let unlisted = try await check.unlistedIDs(seen: Array(tally.seen), scope: scope.sql, parameters: scope.parameters)
            let checked = try await check.run(unlisted)
            gone = Set(checked.gone)
            // Unlisted but live: written now if it differed (API wins), like any stale row.
            stale.formUnion(checked.changed)
            counts.inserted += checked.counts.inserted
            counts.updated += checked.counts.updated
            counts.unchanged += checked.counts.unchanged
            counts.childRows += checked.counts.childRows
            counts.requests += checked.counts.requests
            counts.rejected += checked.counts.rejected
        } else {
            context.logger.warning(
                "the list restarted after a rejected cursor; rows it did not list are not checked for deletion this time",
                metadata: ["resource": "\(resource)"]
            )
        }
        missing.subtract(gone)
        counts.missing = missing.count
        counts.stale = stale.count
        counts.deleted = gone.count
        return Walk(counts: counts, changed: missing.union(stale), gone: gone)
    }

    /// Collects, across batches, the ids a walk saw and found drifted.
    final class DriftTally: @unchecked Sendable {
        // Invariant: written only by the page loader's task (one page or batch at a time), read after `run` returns.
        private(set) var seen = Set<String>()
        private(set) var missing = Set<String>()
        private(set) var stale = Set<String>()

        func list(_ ids: [String]) {
            seen.formUnion(ids)
        }

        func add(missing: [String], stale: [String]) {
            self.missing.formUnion(missing)
            self.stale.formUnion(stale)
        }
    }
}
