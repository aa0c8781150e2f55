import UnderstoryAPI

/// A resource's plans for `sync`, `backfill` and `reconcile`, built from its declaration.
struct ResourcePlans: Sendable {
    let resource: Resource
    /// The resource's table.
    let table: TableSpec
    /// The tables of its rows' children, each with the column naming the parent: removed with a
    /// parent confirmed deleted.
    let childTables: [(spec: TableSpec, parentColumn: String)]
    let sync: @Sendable (PlanContext) async throws -> ResourceCounts
    /// Loads one slice of a backfill (the slice, and what to ask the API for); nil for a resource without a time filter.
    let backfill: (@Sendable (PlanContext, BackfillWindow.Slice, BackfillWindow.Slice) async throws -> ResourceCounts)?
    let reconcile: @Sendable (PlanContext) async throws -> ResourceCounts
    /// Webhooks: fetches subjects by id, to write them in the inbox worker's transaction (``InboxBatch``).
    let inbox: @Sendable (PlanContext, _ ids: [String], _ concurrency: Int) async -> InboxBatch
    /// The webhook messages about its items, if Understory sends any.
    let webhookTopic: WebhookSubject.Topic?
    /// The scope its endpoints need.
    let scope: String
    /// Its scope, when a key may well lack it and the resource is then skipped (``SyncedResource/scopeIsOptional``).
    let optionalScope: String?
    /// What `--skip-resource` can leave out of it (``SyncedResource/parts``).
    let parts: [ChildPart]

    /// The tables its rows are staged in (its own and its child stages'; never derived ones, nor
    /// event availability's history, written by SQL alone).
    var stagedTables: [TableSpec] { [table] + childTables.map(\.spec).filter(\.isStaged) }

    init<Item>(_ declaration: SyncedResource<Item>) {
        resource = declaration.resource
        webhookTopic = declaration.webhookTopic
        scope = declaration.scope
        optionalScope = declaration.scopeIsOptional ? declaration.scope : nil
        parts = declaration.parts.map(\.part)
        table = declaration.table.spec
        childTables = declaration.childTables
        let scoped = ResourceScope(declaration.scope, resource: declaration.resource, optional: declaration.scopeIsOptional)
        switch declaration.traversal {
        case .updatedAt(let list):
            sync = { context in try await scoped.run(context) { try await UpdatedAtPlan.run(declaration, list: list, context) } }
        case .startWindow, .fullList:
            sync = { context in try await scoped.run(context) { try await ListPassPlan.run(declaration, context) } }
        }
        if case .fullList = declaration.traversal {
            backfill = nil
        } else {
            backfill = { context, slice, request in
                try await scoped.run(context) { try await BackfillPlan.load(declaration, context, slice: slice, request: request) }
            }
        }
        inbox = { context, ids, concurrency in await declaration.inboxBatch(ids, context: context, concurrency: concurrency) }
        reconcile = { context in try await scoped.run(context) { try await ReconcilePlan.reconcile(declaration, context) } }
    }

    /// Event availability: sync and reconcile read it all again (``AvailabilityPlan``); nothing to
    /// backfill, and no webhook topic names it. Without the experiences' scope (their list) or its
    /// own, it is skipped or fails naming the scope that is missing.
    init(_ declaration: ObservedResource) {
        resource = declaration.resource
        webhookTopic = nil
        scope = declaration.scope
        optionalScope = nil
        parts = []
        table = declaration.table.spec
        childTables = [(declaration.history.spec, "event_id")]
        let listing = ResourceScope(declaration.experiences.scope, resource: declaration.resource, optional: false)
        let scoped = ResourceScope(declaration.scope, resource: declaration.resource, optional: false)
        let run: @Sendable (PlanContext, Bool) async throws -> ResourceCounts = { context, reconciling in
            let experiences = try await listing.run(context) { try await AvailabilityPlan.experienceIDs(declaration, context) }
            return try await scoped.run(context) {
                try await AvailabilityPlan.run(declaration, context, experiences: experiences, reconciling: reconciling)
            }
        }
        sync = { context in try await run(context, false) }
        backfill = nil
        reconcile = { context in try await run(context, true) }
        inbox = { _, ids, _ in InboxBatch.unrouted(declaration.resource, ids: ids) }
    }
}
