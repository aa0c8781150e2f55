import Foundation
import Logging
import PostgresClient
import UnderstoryAPI

/// Bookings and orders: page `sort=-updated_at` from the newest and stop once a page reaches
/// items older than `watermark − lookback`.
///
/// Descending order is the one that cannot skip a record while the API's paging shifts: a record
/// updated mid-traversal jumps to the top (the side already visited) and pushes the rest down, so
/// at worst an item is seen twice; its new version is newer than the watermark this run writes,
/// so the next run picks it up. The new watermark (newest `updated_at` seen) commits in the same
/// transaction as the last batch; a run that dies earlier leaves the old one, and the next run
/// reads the same window again.
enum UpdatedAtPlan {
    static func bookings(_ context: PlanContext) async throws -> ResourceCounts {
        let cutoff = try await cutoff(context, .bookings)
        let client = context.client
        let limit = context.options.pageSize
        let loader = PageLoader<Booking>(
            context: context, resource: .bookings, spec: .bookings,
            pages: { client.bookings(ListQuery(limit: limit, sort: .updatedDescending)) },
            isLastNeeded: { page in reachedCutoff(page, cutoff) },
            stageRow: StagedRows.append
        )
        return try await loader.run(hooks: .init(complete: context.completion(.bookings, fullPass: cutoff == nil)))
    }

    static func orders(_ context: PlanContext) async throws -> ResourceCounts {
        let cutoff = try await cutoff(context, .orders)
        let client = context.client
        let limit = context.options.pageSize
        let children = OrderChildren(context: context)
        let loader = PageLoader<Order>(
            context: context, resource: .orders, spec: .orders,
            pages: { client.orders(ListQuery(limit: limit, sort: .updatedDescending)) },
            isLastNeeded: { page in reachedCutoff(page, cutoff) },
            stageRow: StagedRows.append
        )
        try await context.loader.prepare(OrderChildren.specs)
        return try await loader.run(
            hooks: .init(
                prefetch: { orders in try await children.prefetch(orders) },
                cancelPrefetches: { children.cancelPrefetches() },
                afterStage: { batchLoader, orders in try await children.stageAndReplace(batchLoader, orders: orders) },
                complete: context.completion(.orders, fullPass: cutoff == nil)
            )
        )
    }

    /// `watermark − lookback`, or nil for a full traversal (first run or `--full`).
    static func cutoff(_ context: PlanContext, _ resource: Resource) async throws -> Timestamp? {
        guard !context.options.full else { return nil }
        let state = try await context.watermarks.state(companyID: context.companyID, resource: resource)
        guard let watermark = state.watermark else { return nil }
        let lookback = context.options.lookback.components
        return Timestamp(secondsSinceEpoch: watermark.secondsSinceEpoch - lookback.seconds, nanoseconds: watermark.nanoseconds)
    }

    static func reachedCutoff<Item: SyncedRecord>(_ page: Page<Item>, _ cutoff: Timestamp?) -> Bool {
        guard let cutoff else { return false }
        return page.items.contains { $0.model.updatedAt < cutoff }
    }
}
