import PostgresClient
import ServiceLifecycle
import UnderstoryAPI

/// Event availability (``ObservedResource``): it has no timestamps and no webhook, so every sync
/// (and reconcile, which does the same with the API winning over edited rows) lists the
/// experiences and asks `/v1/event-availabilities` again for each, over the events' start-time
/// window, and writes each chunk of experiences in one transaction: first a history row per event
/// whose availability differs from its latest history row, then the current rows that differ. The
/// same answer seen twice writes nothing.
///
/// An experience that answers 404 (deleted since it was listed) or has no events in the window
/// writes nothing; an item that does not decode or store is quarantined in `rejected_items` and
/// the rest load. Rows of events no longer listed stay as last seen (leaving the window is no change).
enum AvailabilityPlan {
    /// Every page of one experience's list.
    struct Read: Sendable {
        var items: [Fetched<EventAvailability>] = []
        var undecodable: [UndecodableItem] = []
        var pages = 0
        var restarts = 0
    }

    static func run(_ declaration: ObservedResource, _ context: PlanContext, experiences: [String], reconciling: Bool) async throws -> ResourceCounts {
        let window = StartWindow.window(context.options, now: context.client.clock.wallNow)
        let spec = reconciling ? declaration.table.spec.reconciling : declaration.table.spec
        try await context.loader.prepare([spec])
        var unresolved = Set<String>()
        if !context.options.dryRun {
            let store = RejectedItemStore(connection: context.connection)
            unresolved = Set(try await store.unresolvedIDs(companyID: context.companyID, resource: declaration.resource))
        }
        var counts = ResourceCounts()
        if reconciling { (counts.missing, counts.stale) = (0, 0) }
        let chunkSize = max(1, context.options.childConcurrency)
        var start = 0
        repeat {
            let chunk = Array(experiences[start..<min(start + chunkSize, experiences.count)])
            start += chunk.count
            let reads = try await boundedConcurrentMap(chunk, limit: chunkSize) { experienceID in
                (experienceID: experienceID, read: try await read(declaration, context, experienceID: experienceID, window: window))
            }
            let last = start >= experiences.count && !Task.isShuttingDownGracefully
            let loaded = try await load(reads, declaration, spec: spec, context, unresolved: unresolved, reconciling: reconciling, complete: last)
            counts = counts + loaded
            context.progress?.batchCommitted(resource: declaration.resource, records: loaded.records, pages: loaded.pages)
            if Task.isShuttingDownGracefully {
                throw SyncError(
                    .interrupted, "stopped by a signal after committing the availability of \(start) experiences; the next run reads them all again",
                    resource: declaration.resource
                )
            }
        } while start < experiences.count
        return counts
    }

    /// The ids of the experiences the API lists now (an item that does not decode still names its
    /// id). A rejected cursor restarts the list, at most `maxRestarts` times.
    static func experienceIDs(_ declaration: ObservedResource, _ context: PlanContext) async throws -> [String] {
        try await everyPage(context, what: "the experiences' list", declaration.experiences.list(context.client, context.options)).pages
            .flatMap { page in page.items.map(\.model.id) + page.undecodable.compactMap(\.id) }
    }

    /// Every page of one experience's availability over `window`; nil when the experience answers
    /// 404. A rejected cursor restarts this experience's list, at most `maxRestarts` times.
    static func read(
        _ declaration: ObservedResource, _ context: PlanContext, experienceID: String, window: (LocalDateTime, LocalDateTime)?
    ) async throws -> Read? {
        do {
            let list = declaration.list(context.client, experienceID, window, min(100, max(1, context.options.pageSize)))
            let read = try await everyPage(context, what: "the availability of experience \(experienceID)", list)
            return Read(
                items: read.pages.flatMap(\.items), undecodable: read.pages.flatMap(\.undecodable), pages: read.pages.count, restarts: read.restarts
            )
        } catch let error as UnderstoryAPIError where error.code == .notFound {
            return nil
        }
    }

    /// Every page of `list`, from the first again after a rejected cursor (at most `maxRestarts` times).
    private static func everyPage<Item>(
        _ context: PlanContext, what: String, _ list: PageSequence<Item>
    ) async throws -> (pages: [Page<Item>], restarts: Int) {
        var restarts = 0
        while true {
            do {
                var pages: [Page<Item>] = []
                for try await page in list.cancelOnGracefulShutdown() { pages.append(page) }
                return (pages, restarts)
            } catch let error as UnderstoryAPIError where error.code == .cursorRejected {
                guard restarts < context.options.maxRestarts else {
                    var lost = error
                    lost.detail = "\(what) restarted \(restarts) times and lost its cursor each time "
                        + "(cursors are short-lived; the next run reads it again)"
                    throw lost
                }
                restarts += 1
            }
        }
    }
}
