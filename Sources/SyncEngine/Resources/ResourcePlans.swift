/// A resource's plans for `sync`, `backfill` and `reconcile`, built from its declaration.
struct ResourcePlans: Sendable {
    let sync: @Sendable (PlanContext) async throws -> ResourceCounts
    /// Loads one slice of a backfill (the slice, and what to ask the API for); nil for a resource without a time filter.
    let backfill: (@Sendable (PlanContext, BackfillWindow.Slice, BackfillWindow.Slice) async throws -> ResourceCounts)?
    let reconcile: @Sendable (PlanContext) async throws -> ReconcilePlan.Walk

    init<Item>(_ declaration: SyncedResource<Item>) {
        switch declaration.traversal {
        case .updatedAt(let list):
            sync = { try await UpdatedAtPlan.run(declaration, list: list, $0) }
        case .startWindow, .fullList:
            sync = { try await ListPassPlan.run(declaration, $0) }
        }
        if case .fullList = declaration.traversal {
            backfill = nil
        } else {
            backfill = { try await BackfillPlan.load(declaration, $0, slice: $1, request: $2) }
        }
        reconcile = { try await ReconcilePlan.walk(declaration, $0) }
    }
}

extension Resource {
    /// The one place a resource meets its declaration.
    var plans: ResourcePlans {
        switch self {
        case .bookings: ResourcePlans(Declarations.bookings)
        case .orders: ResourcePlans(Declarations.orders)
        case .events: ResourcePlans(Declarations.events)
        case .experiences: ResourcePlans(Declarations.experiences)
        }
    }
}
