import Logging
import PostgresClient
import ServiceLifecycle
import UnderstoryAPI

/// The pipeline every list resource shares: one task pages through the API into a bounded
/// ``PageBuffer``; this task takes pages out, batches them, and loads each batch in one
/// transaction (COPY into staging, upsert). Fetching and loading overlap; memory is bounded by
/// the buffer and the batch size.
///
/// A cursor the API rejects restarts the traversal from the first page (at most
/// `options.maxRestarts` times): rows already loaded are upserted again idempotently.
struct PageLoader<Item: SyncedRecord> {
    let context: PlanContext
    /// The resource: its table, and the stages of its batches (children, derived rows).
    let declaration: SyncedResource<Item>
    /// The table written: the declaration's, or reconcile's variant of it (``TableSpec/reconciling``).
    let spec: TableSpec
    /// A fresh traversal from the first page.
    let pages: @Sendable () -> PageSequence<Item>
    /// Whether this page ends the traversal: nothing after it is needed (e.g. it reached the watermark),
    /// so no further page is fetched.
    var endsTraversal: @Sendable (Page<Item>) -> Bool = { _ in false }
    /// Whether the run first fetches the resource's unresolved rejected items again (a sync does;
    /// a backfill's concurrent slices leave that to the next sync).
    var rechecksRejected = true
    /// Whether the declaration's children stage runs (reconcile audits children on its own).
    var withChildren = true

    var resource: Resource { declaration.resource }

    /// What the plan adds to the declaration's stages of each batch.
    struct Stages {
        /// In the batch's transaction, after the rows are staged and before the upsert (reconcile's
        /// drift check).
        var audit: ((BatchLoader, [Fetched<Item>]) async throws -> Void)? = nil
        /// In the last batch's transaction, once the traversal is complete (the watermark, a backfill slice).
        var complete: ((PostgresConnection, Observations) async throws -> Void)? = nil
        /// As each page arrives, with every id it lists — the undecodable items' too, when their id
        /// can be read (reconcile's "seen": an item listed but not stored is never taken for deleted).
        var listed: (([String]) -> Void)? = nil
    }

    /// What the traversal saw (recorded by ``Stages/complete`` once it is complete).
    struct Observations {
        /// The newest `updated_at` no later than `horizon`: what the watermark may become.
        var newestUpdatedAt: Timestamp?
        /// Now plus the future tolerance; later `updated_at`s are future-dated.
        var horizon: Timestamp
        var futureDated = 0
        var restarts = 0
        var seenIDs: [String] = []
        var collectIDs = false
        var seenCount = 0

        /// Takes note of one item's `updated_at`: a future-dated one is counted, never the newest.
        mutating func observe(updatedAt: Timestamp) {
            guard updatedAt <= horizon else {
                futureDated += 1
                return
            }
            if newestUpdatedAt.map({ updatedAt > $0 }) ?? true { newestUpdatedAt = updatedAt }
        }
    }

    enum Delivery: Sendable {
        case page(Page<Item>)
        case restarted
        /// Graceful shutdown (SIGTERM/SIGINT): no more pages will come.
        case interrupted
    }

    /// What a run keeps between batches: the counts, and the rejected items waiting for the next
    /// batch's transaction. Reads and writes counts directly (`tally.pages += 1`).
    @dynamicMemberLookup
    struct Tally {
        var counts = ResourceCounts()
        /// Rejected before staging (undecodable items, failed re-fetches): recorded with the next batch.
        var pending: [RejectedItem] = []
        /// Ids with an unresolved row in `rejected_items` when the run started.
        var unresolved: Set<String> = []
        /// Of those, the ones whose re-fetch answered 404 (gone): resolved with the next batch.
        var gone: [String] = []

        subscript<Value>(dynamicMember keyPath: WritableKeyPath<ResourceCounts, Value>) -> Value {
            get { counts[keyPath: keyPath] }
            set { counts[keyPath: keyPath] = newValue }
        }
        subscript<Value>(dynamicMember keyPath: KeyPath<ResourceCounts, Value>) -> Value { counts[keyPath: keyPath] }
    }

    /// Reads the pages and loads them batch by batch. Each batch goes through the stages in order:
    /// children prefetched (while the batch before it loads) → rows staged → children fetched and
    /// staged → audit → upsert → children replaced for the parents that stand → derived rows
    /// rebuilt → rejected items recorded → traversal recorded (last batch only), all in the batch's
    /// transaction but the prefetch. The pages are fetched by a child task (``produce(into:)``)
    /// that ends with the traversal, or is cancelled when loading fails.
    func run(_ stages: Stages = Stages(), collectIDs: Bool = false) async throws -> ResourceCounts {
        let buffer = PageBuffer<Delivery>(capacity: max(1, context.options.prefetchPages))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await produce(into: buffer) }
            do {
                let counts = try await consume(buffer, stages, collectIDs: collectIDs)
                await buffer.close()
                return counts
            } catch {
                await buffer.close()
                group.cancelAll()
                throw error
            }
        }
    }

    /// Fetches the pages into `buffer`, restarting the traversal when the API rejects a cursor;
    /// ends the buffer (with the error, if the traversal failed).
    private func produce(into buffer: PageBuffer<Delivery>) async {
        var restarts = 0
        while true {
            do {
                var reachedEnd = false
                // Graceful shutdown ends the sequence at once, abandoning a request in flight
                // or a retry wait (a 429 can mean a minute).
                for try await page in pages().cancelOnGracefulShutdown() {
                    guard await buffer.send(.page(page)) else { return }
                    if endsTraversal(page) {
                        reachedEnd = true
                        break
                    }
                    if Task.isShuttingDownGracefully { break }
                }
                // Stop fetching on graceful shutdown; the loader commits what it has.
                if Task.isShuttingDownGracefully && !reachedEnd { _ = await buffer.send(.interrupted) }
                await buffer.finish()
                return
            } catch let error as UnderstoryAPIError where error.code == .cursorRejected {
                guard restarts < context.options.maxRestarts else {
                    var lost = error
                    lost.detail = "the traversal restarted \(restarts) time\(restarts == 1 ? "" : "s") and lost its cursor each time "
                        + "(cursors are short-lived; the next run starts again from the last committed position)"
                    await buffer.finish(throwing: lost)
                    return
                }
                restarts += 1
                guard await buffer.send(.restarted) else { return }
            } catch {
                await buffer.finish(throwing: error)
                return
            }
        }
    }

    /// Takes the pages out of `buffer` and loads them batch by batch (see ``run(_:collectIDs:)``).
    private func consume(_ buffer: PageBuffer<Delivery>, _ stages: Stages, collectIDs: Bool) async throws -> ResourceCounts {
        var logger = context.logger
        logger[metadataKey: "resource"] = "\(resource)"
        let children: any ChildStage<Item> = withChildren ? declaration.childStage(context) : NoChildren<Item>()
        let batches = Batches(loader: self, stages: stages, children: children)
        var counts = Tally()
        let now = Timestamp(context.client.clock.wallNow)
        let horizon = Timestamp(secondsSinceEpoch: now.secondsSinceEpoch + FutureDated.toleranceSeconds, nanoseconds: now.nanoseconds)
        var observations = Observations(horizon: horizon, collectIDs: collectIDs)
        var inHand = InHand()
        do {
            try await context.loader.prepare([spec] + children.tables)
            try await recheckRejected(batches, counts: &counts)
            var interrupted = false
            reading: while let delivery = try await buffer.receive() {
                switch delivery {
                case .interrupted:
                    interrupted = true
                    break reading
                case .restarted:
                    counts.restarts += 1
                    observations.restarts += 1
                    logger.warning("the API rejected a cursor; restarting the traversal", metadata: ["restarts": "\(counts.restarts)"])
                case .page(let page):
                    counts.pages += 1
                    counts.requests += 1
                    inHand.pages += 1
                    observations.seenCount += page.items.count
                    counts.pending += page.undecodable.map { RejectedItem(resource: resource, $0) }
                    for item in page.items {
                        if let changedAt = item.model.changedAt { observations.observe(updatedAt: changedAt) }
                    }
                    // Listed, if unreadable or rejected: never taken for missing.
                    if collectIDs || stages.listed != nil {
                        let ids = page.undecodable.compactMap(\.id) + page.items.map(\.model.id)
                        if collectIDs { observations.seenIDs += ids }
                        stages.listed?(ids)
                    }
                    inHand.items.append(contentsOf: page.items)
                    // After a signal the producer stops at once; the pages it already fetched
                    // (at most the buffer's capacity) still arrive and commit, then `.interrupted`.
                    if inHand.items.count >= context.options.batchRows { try await batches.completeBatch(&inHand, counts: &counts) }
                }
            }
            // The one place a traversal ends: what is in hand commits, and only a complete
            // traversal that no signal cut short records itself (moves the watermark).
            let completed = try await batches.commitInHand(&inHand, observations: interrupted ? nil : observations, counts: &counts)
            guard completed else { throw interruption(counts) }
            if observations.futureDated > 0 {
                logger.warning(
                    "items stamped in the future were stored as sent but not used as the watermark",
                    metadata: ["future_dated": "\(observations.futureDated)", "horizon": "\(observations.horizon)"]
                )
            }
            counts.futureDated = observations.futureDated
        } catch {
            children.cancelPrefetches()
            throw error
        }
        return counts.counts
    }

    /// The pages read but not yet committed: the open batch, and with a children stage the
    /// complete batch held back while its children are fetched.
    struct InHand {
        var items: [Fetched<Item>] = []
        var pages = 0
        var held: (items: [Fetched<Item>], pages: Int)?
    }

    /// Loads batches through the stages; holds one complete batch back when children are prefetched.
    struct Batches {
        let loader: PageLoader
        let stages: Stages
        let children: any ChildStage<Item>

        /// A batch is full: without child tables (``NoChildren``) it loads now; with them, its
        /// children start fetching and the batch held before it loads.
        func completeBatch(_ inHand: inout InHand, counts: inout Tally) async throws {
            let batch = (items: inHand.items, pages: inHand.pages)
            inHand.items = []
            inHand.pages = 0
            guard !children.tables.isEmpty else {
                try await loader.load(batch.items, pages: batch.pages, batches: self, observations: nil, counts: &counts)
                return
            }
            try await children.prefetch(batch.items)
            let previous = inHand.held
            inHand.held = batch
            if let previous { try await loader.load(previous.items, pages: previous.pages, batches: self, observations: nil, counts: &counts) }
        }

        /// Commits everything in hand: the held batch, then the open one, which also records
        /// `observations` — unless a signal arrived while the held batch loaded. Returns whether the
        /// traversal was recorded.
        func commitInHand(_ inHand: inout InHand, observations: PageLoader.Observations?, counts: inout Tally) async throws -> Bool {
            var observations = observations
            try await children.prefetch(inHand.items)
            if let held = inHand.held {
                inHand.held = nil
                try await loader.load(held.items, pages: held.pages, batches: self, observations: nil, counts: &counts)
                if Task.isShuttingDownGracefully { observations = nil }
            }
            try await loader.load(inHand.items, pages: inHand.pages, batches: self, observations: observations, counts: &counts)
            inHand.items = []
            inHand.pages = 0
            return observations != nil
        }
    }

    /// Fetches the resource's unresolved rejected items again, one GET each, and loads them as a
    /// batch of their own before the traversal: those that store now are resolved, a 404 resolves
    /// one as gone, and those still bad are recorded again. A dry run leaves them alone.
    private func recheckRejected(_ batches: Batches, counts: inout Tally) async throws {
        guard rechecksRejected && !context.options.dryRun else { return }
        let ids = try await RejectedItemStore(connection: context.connection).unresolvedIDs(companyID: context.companyID, resource: resource)
        guard !ids.isEmpty else { return }
        counts.unresolved = Set(ids)
        var items: [Fetched<Item>] = []
        for id in ids {
            do {
                items.append(try await Item.fetch(id: id, context))
            } catch let error as UnderstoryAPIError where error.code == .notFound {
                counts.gone.append(id)
            } catch let error as UnderstoryAPIError where error.code == .invalidResponse {
                counts.pending.append(RejectedItem(resource: resource, itemID: id, reason: UndecodableItem(error: error, raw: "").reason, raw: nil))
            }
        }
        context.logger.info(
            "re-fetched rejected items", metadata: ["resource": "\(resource)", "items": "\(ids.count)", "gone": "\(counts.gone.count)"]
        )
        try await load(items, pages: 0, batches: batches, observations: nil, counts: &counts)
    }

    /// The error that ends a traversal stopped by graceful shutdown, after its last commit.
    private func interruption(_ counts: Tally) -> SyncError {
        SyncError(
            .interrupted, "stopped by a signal after committing \(counts.records) \(resource) records; the next run continues",
            resource: resource
        )
    }

    /// Loads one batch in one transaction. Items that cannot be stored are rejected one by one
    /// (checked in Swift while staging; the children stage rejects parents whose children
    /// cannot be stored) and recorded in `rejected_items` in the same transaction. Should the
    /// database still refuse a value (a data exception), the batch is loaded again item by item,
    /// and the item it refuses alone is rejected.
    fileprivate func load(
        _ items: [Fetched<Item>], pages: Int, batches: Batches, observations: Observations?, counts: inout Tally
    ) async throws {
        var rows = CopyBuffer(reservingCapacity: items.count * 2048)
        var rejected = counts.pending
        let gone = counts.gone
        var staged: [Fetched<Item>] = []
        staged.reserveCapacity(items.count)
        do {
            for item in items {
                do {
                    try declaration.table.append(item, companyID: context.companyID, to: &rows)
                    staged.append(item)
                } catch let rejection as ItemRejection {
                    rejected.append(RejectedItem(resource: resource, itemID: item.model.id, reason: rejection.reason, raw: item.raw))
                }
            }
        } catch let error as SyncError {
            throw SyncError(error.code, error.message, resource: resource, underlying: error.underlying)
        }
        let loader = context.loader
        let unresolved = counts.unresolved
        let outcome: BatchLoader.Outcome, children: StagedChildren, resolved: Int
        do {
            (outcome, children, resolved) = try await context.inBatchTransaction { connection in
                try await loader.stage(spec, rows)
                var children = try await batches.children.stage(loader, parents: staged)
                try await batches.stages.audit?(loader, staged)
                let outcome = try await loader.upsertStaged(spec)
                children.rows += try await batches.children.replaceStanding(loader, children)
                children.rows += try await declaration.derived(loader, context.companyID, outcome.changedIDs)
                var resolved = 0
                if !context.options.dryRun {
                    let all = rejected + children.rejected
                    let store = RejectedItemStore(connection: connection)
                    try await store.record(all, companyID: context.companyID, runID: context.runID)
                    if !unresolved.isEmpty || !gone.isEmpty {
                        let rejectedIDs = Set(all.compactMap(\.itemID))
                        let stored = Set(staged.map(\.model.id)).filter { unresolved.contains($0) && !rejectedIDs.contains($0) }
                        resolved = try await store.resolve(Array(stored) + gone, companyID: context.companyID, resource: resource, runID: context.runID)
                    }
                }
                // A dry run has no run row to point at and commits nothing: the position stays as it is.
                if let observations, !context.options.dryRun { try await batches.stages.complete?(connection, observations) }
                return (outcome, children, resolved)
            }
        } catch let error as PostgresError where error.sqlState?.isDataException == true {
            try await loadOneByOne(staged, refused: error, pendingRejections: rejected, batches: batches, observations: observations, counts: &counts)
            return
        }
        counts.pending = []
        counts.gone = []
        let rejectedParents = Set(children.rejected.compactMap(\.itemID))
        let distinct = Set(staged.map(\.model.id)).subtracting(rejectedParents).count
        counts.inserted += outcome.inserted
        counts.updated += outcome.updated
        counts.unchanged += distinct - outcome.inserted - outcome.updated
        counts.childRows += children.rows
        counts.sanitized += staged.count(where: \.sanitized) + children.sanitized
        counts.rejected += rejected.count + children.rejected.count
        counts.resolved += resolved
        if !rejected.isEmpty || !children.rejected.isEmpty {
            context.logger.warning(
                "items rejected: see understory.rejected_items",
                metadata: ["resource": "\(resource)", "rejected": "\(rejected.count + children.rejected.count)"]
            )
        }
        if !items.isEmpty {
            context.logger.debug(
                "batch loaded",
                metadata: ["resource": "\(resource)", "records": "\(items.count)", "inserted": "\(outcome.inserted)", "updated": "\(outcome.updated)"]
            )
            context.progress?.batchCommitted(resource: resource, records: items.count, pages: pages)
        }
    }

    /// The last resort after the database refused a value of a batch that passed the checks in
    /// Swift: each item loads in a transaction of its own; one the database refuses alone is
    /// rejected with the server's one-line message (never its DETAIL). The traversal completes
    /// in a last, empty batch.
    private func loadOneByOne(
        _ items: [Fetched<Item>], refused: PostgresError, pendingRejections: [RejectedItem], batches: Batches, observations: Observations?,
        counts: inout Tally
    ) async throws {
        // Nothing left to single out: the refusal is not about an item.
        guard let first = items.first else { throw refused }
        guard items.count > 1 else {
            counts.pending = pendingRejections + [RejectedItem(
                resource: resource, itemID: first.model.id,
                reason: "PostgreSQL refused a value (SQLSTATE \(refused.sqlState?.rawValue ?? "?")): \(refused.message)", raw: first.raw
            )]
            try await load([], pages: 0, batches: batches, observations: observations, counts: &counts)
            return
        }
        context.logger.warning(
            "the database refused a value in a batch; loading it item by item",
            metadata: ["resource": "\(resource)", "sqlstate": "\(refused.sqlState?.rawValue ?? "?")", "records": "\(items.count)"]
        )
        counts.pending = pendingRejections
        for item in items {
            try await load([item], pages: 0, batches: batches, observations: nil, counts: &counts)
        }
        try await load([], pages: 0, batches: batches, observations: observations, counts: &counts)
    }
}

/// What a children stage staged for a batch: the parents whose children are staged (replaced
/// after the upsert if they stand), child rows written, children stored with U+FFFD for U+0000,
/// and the parents rejected because a child cannot be stored (left out of the batch).
struct StagedChildren: Sendable {
    var parentIDs: [String] = []
    var rows = 0
    var sanitized = 0
    var rejected: [RejectedItem] = []
}
