import Foundation
import Logging
import PostgresClient
import UnderstoryAPI

/// Bookings and orders: page `sort=-updated_at` from the newest and stop once a page reaches
/// items older than `watermark − lookback` — unless a page came out of order (``SortOrderCheck``),
/// in which case the run reads to the end.
///
/// Descending order is the one that cannot skip a record while the API's paging shifts: a record
/// updated mid-traversal jumps to the top (the side already visited) and pushes the rest down, so
/// at worst an item is seen twice; its new version is newer than the watermark this run writes,
/// so the next run picks it up. The new watermark (newest `updated_at` seen) commits in the same
/// transaction as the last batch; a run that dies earlier leaves the old one, and the next run
/// reads the same window again.
enum UpdatedAtPlan {
    static func run<Item>(
        _ declaration: SyncedResource<Item>, list: @escaping @Sendable (UnderstoryClient, ListQuery) -> PageSequence<Item>, _ context: PlanContext
    ) async throws -> ResourceCounts {
        let resource = declaration.resource
        let cutoff = try await cutoff(context, resource)
        let client = context.client
        let limit = context.options.pageSize
        let order = SortOrderCheck(resource: resource, logger: context.logger)
        let loader = declaration.loader(
            context,
            pages: {
                order.startTraversal()
                return list(client, ListQuery(limit: limit, sort: .updatedDescending))
            },
            endsTraversal: { page in reachedCutoff(page, cutoff, order: order) }
        )
        var counts = try await loader.run(.init(complete: context.completion(resource, fullPass: cutoff == nil)))
        counts.unorderedPages = order.unorderedPages
        return counts
    }

    /// `watermark − lookback`, or nil for a full traversal (first run or `--full`).
    static func cutoff(_ context: PlanContext, _ resource: Resource) async throws -> Timestamp? {
        guard !context.options.full else { return nil }
        let state = try await context.watermarks.state(companyID: context.companyID, resource: resource)
        guard let watermark = state.watermark else { return nil }
        let lookback = context.options.lookback.components
        return Timestamp(secondsSinceEpoch: watermark.secondsSinceEpoch - lookback.seconds, nanoseconds: watermark.nanoseconds)
    }

    /// Whether the traversal may stop after `page`: it reached items older than the cutoff, and
    /// every page so far came newest-first (otherwise older-looking pages prove nothing).
    static func reachedCutoff<Item: SyncedRecord>(_ page: Page<Item>, _ cutoff: Timestamp?, order: SortOrderCheck) -> Bool {
        // A full traversal reads to the end anyway: nothing to check.
        guard let cutoff, order.observe(page) else { return false }
        return page.items.contains { $0.model.changedAt.map { $0 < cutoff } ?? false }
    }
}
