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
    let resource: Resource
    let spec: TableSpec
    /// A fresh traversal from the first page.
    let pages: @Sendable () -> PageSequence<Item>
    /// Whether the traversal can stop after this page (e.g. it reached the watermark).
    var isLastNeeded: @Sendable (Page<Item>) -> Bool = { _ in false }
    /// Appends one item as a staging row.
    let stageRow: (Fetched<Item>, String, inout CopyBuffer) throws -> Void

    /// Hooks that run inside each batch's transaction.
    struct Hooks {
        /// When a batch is complete, before the previous batch loads (outside any transaction):
        /// start work for it that overlaps that load (e.g. fetch order children). With this hook
        /// the loader holds one complete batch back, so the next batch's work runs during a load.
        var prefetch: (([Fetched<Item>]) async throws -> Void)?
        /// The traversal failed: stop what `prefetch` started.
        var cancelPrefetches: (() -> Void)?
        /// After the batch is staged, before the upsert (e.g. fetch and stage order children).
        var afterStage: ((BatchLoader, [Fetched<Item>]) async throws -> Int)?
        /// After the upsert, with the ids that changed (e.g. rebuild event sessions).
        var afterUpsert: ((BatchLoader, [String]) async throws -> Int)?
        /// In the last batch's transaction, once the traversal is complete.
        var complete: ((PostgresConnection, Traversal) async throws -> Void)?
    }

    /// What the traversal saw.
    struct Traversal {
        var newestUpdatedAt: Timestamp?
        var restarts = 0
        var seenIDs: [String] = []
        var collectIDs = false
        var seenCount = 0
    }

    enum Delivery: Sendable {
        case page(Page<Item>)
        case restarted
        /// Graceful shutdown (SIGTERM/SIGINT): no more pages will come.
        case interrupted
    }

    func run(hooks: Hooks, collectIDs: Bool = false) async throws -> ResourceCounts {
        var logger = context.logger
        logger[metadataKey: "resource"] = "\(resource)"
        let buffer = PageBuffer<Delivery>(capacity: max(1, context.options.prefetchPages))
        let maxRestarts = context.options.maxRestarts
        let pages = self.pages
        let isLastNeeded = self.isLastNeeded
        let producer = Task {
            var restarts = 0
            while true {
                do {
                    var reachedLastNeeded = false
                    // Graceful shutdown ends the sequence at once, abandoning a request in flight
                    // or a retry wait (a 429 can mean a minute).
                    for try await page in pages().cancelOnGracefulShutdown() {
                        guard await buffer.send(.page(page)) else { return }
                        if isLastNeeded(page) {
                            reachedLastNeeded = true
                            break
                        }
                        if Task.isShuttingDownGracefully { break }
                    }
                    // Stop fetching on graceful shutdown; the loader commits what it has.
                    if Task.isShuttingDownGracefully && !reachedLastNeeded { _ = await buffer.send(.interrupted) }
                    await buffer.finish()
                    return
                } catch let error as UnderstoryAPIError where error.code == .cursorRejected && restarts < maxRestarts {
                    restarts += 1
                    guard await buffer.send(.restarted) else { return }
                } catch {
                    await buffer.finish(throwing: error)
                    return
                }
            }
        }

        var counts = ResourceCounts()
        var traversal = Traversal(collectIDs: collectIDs)
        var batch: [Fetched<Item>] = []
        var batchPages = 0
        // With a prefetch hook: a complete batch whose prefetch runs while the one before it loads.
        var held: (items: [Fetched<Item>], pages: Int)?
        do {
            try await context.loader.prepare([spec])
            while let delivery = try await buffer.receive() {
                switch delivery {
                case .interrupted:
                    // Commit the pages in hand (without moving the watermark: the traversal is
                    // incomplete), then report the interruption.
                    try await hooks.prefetch?(batch)
                    if let previous = held {
                        held = nil
                        try await load(previous.items, pages: previous.pages, hooks: hooks, traversal: nil, counts: &counts)
                    }
                    try await load(batch, pages: batchPages, hooks: hooks, traversal: nil, counts: &counts)
                    throw interruption(counts)
                case .restarted:
                    counts.restarts += 1
                    traversal.restarts += 1
                    logger.warning("the API rejected a cursor; restarting the traversal", metadata: ["restarts": "\(counts.restarts)"])
                case .page(let page):
                    counts.pages += 1
                    counts.requests += 1
                    batchPages += 1
                    traversal.seenCount += page.items.count
                    for item in page.items {
                        if traversal.newestUpdatedAt.map({ item.model.updatedAt > $0 }) ?? true {
                            traversal.newestUpdatedAt = item.model.updatedAt
                        }
                        if collectIDs { traversal.seenIDs.append(item.model.id) }
                    }
                    batch.append(contentsOf: page.items)
                    if batch.count >= context.options.batchRows {
                        if let prefetch = hooks.prefetch {
                            try await prefetch(batch)
                            let previous = held
                            held = (batch, batchPages)
                            batch = []
                            batchPages = 0
                            guard let previous else { continue }
                            try await load(previous.items, pages: previous.pages, hooks: hooks, traversal: nil, counts: &counts)
                            if Task.isShuttingDownGracefully {
                                // The held batch is in hand too: commit it before stopping.
                                if let current = held {
                                    held = nil
                                    try await load(current.items, pages: current.pages, hooks: hooks, traversal: nil, counts: &counts)
                                }
                                throw interruption(counts)
                            }
                        } else {
                            try await load(batch, pages: batchPages, hooks: hooks, traversal: nil, counts: &counts)
                            batch.removeAll(keepingCapacity: true)
                            batchPages = 0
                            if Task.isShuttingDownGracefully { throw interruption(counts) }
                        }
                    }
                }
            }
            try await hooks.prefetch?(batch)
            if let previous = held {
                held = nil
                try await load(previous.items, pages: previous.pages, hooks: hooks, traversal: nil, counts: &counts)
                if Task.isShuttingDownGracefully {
                    // As after any full batch: commit the pages in hand without moving the watermark.
                    try await load(batch, pages: batchPages, hooks: hooks, traversal: nil, counts: &counts)
                    throw interruption(counts)
                }
            }
            try await load(batch, pages: batchPages, hooks: hooks, traversal: traversal, counts: &counts)
        } catch {
            hooks.cancelPrefetches?()
            await buffer.close()
            producer.cancel()
            throw error
        }
        return counts
    }

    /// The error that ends a traversal stopped by graceful shutdown, after its last commit.
    private func interruption(_ counts: ResourceCounts) -> SyncError {
        SyncError(
            .interrupted, "stopped by a signal after committing \(counts.records) \(resource) records; the next run continues",
            resource: resource
        )
    }

    private func load(
        _ items: [Fetched<Item>], pages: Int, hooks: Hooks, traversal: Traversal?, counts: inout ResourceCounts
    ) async throws {
        var rows = CopyBuffer(reservingCapacity: items.count * 2048)
        do {
            for item in items { try stageRow(item, context.companyID, &rows) }
        } catch let error as SyncError {
            throw SyncError(error.code, error.message, resource: resource, underlying: error.underlying)
        }
        let distinct = Set(items.map(\.model.id)).count
        let loader = context.loader
        let (outcome, children) = try await context.inBatchTransaction { connection in
            try await loader.stage(spec, rows)
            var children = try await hooks.afterStage?(loader, items) ?? 0
            let outcome = try await loader.upsertStaged(spec)
            children += try await hooks.afterUpsert?(loader, outcome.changedIDs) ?? 0
            // A dry run has no run row to point at and commits nothing: the position stays as it is.
            if let traversal, !context.options.dryRun { try await hooks.complete?(connection, traversal) }
            return (outcome, children)
        }
        counts.inserted += outcome.inserted
        counts.updated += outcome.updated
        counts.unchanged += distinct - outcome.inserted - outcome.updated
        counts.childRows += children
        if !items.isEmpty {
            context.logger.debug(
                "batch loaded",
                metadata: ["resource": "\(resource)", "records": "\(items.count)", "inserted": "\(outcome.inserted)", "updated": "\(outcome.updated)"]
            )
            context.progress?.batchCommitted(resource: resource, records: items.count, pages: pages)
        }
    }
}
