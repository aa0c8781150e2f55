import Foundation
import PostgresClient
import UnderstoryAPI

/// A resource declared once: its table, how it is traversed, and the stages its batches go
/// through (children fetched per changed parent, rows derived from the stored parents). `sync`,
/// `backfill` and `reconcile` all build their plans from it (``ResourcePlans``).
struct SyncedResource<Item: SyncedRecord>: Sendable {
    let resource: Resource
    /// The scope its endpoints need. Without it the resource is skipped with one notice when it was
    /// not asked for by name, and fails (77) when it was (``ResourceScope``).
    let scope: String
    let table: Table<Item>
    let traversal: Traversal<Item>
    /// Children fetched for new or changed parents and replaced in the parents' transaction, always
    /// (orders' line items, refunds and transactions; ``NoChildren`` for a resource without any).
    var children: @Sendable (PlanContext) -> any ChildStage<Item> = { _ in NoChildren() }
    /// Children read per parent that `--skip-resource` can leave out, each named once here
    /// (``ChildPart``); combined by ``ChildStages`` with those a run keeps.
    var parts: [SkippableStage<Item>] = []
    /// Rows rebuilt from the stored parents after each upsert, for the parents that changed (or
    /// were found live by a deletion check); returns the rows written (none by default).
    var derived: @Sendable (BatchLoader, _ companyID: String, _ changedIDs: [String]) async throws -> Int = { _, _, _ in 0 }
    /// Tables of the rows' children (child stages, derived rows) with the column naming the
    /// parent, whatever the options: emptied when a parent is confirmed deleted.
    var childTables: [(spec: TableSpec, parentColumn: String)] = []
    /// Skipped without its scope even when asked for by name (marketing consents: keys are often
    /// made without `marketing.read`, so it is not requested by default).
    var scopeIsOptional = false
    /// The webhook messages about its items (the inbox worker fetches and writes those items); nil
    /// when Understory sends none.
    var webhookTopic: WebhookSubject.Topic? = nil

    /// The children a run with `context`'s options reads: ``children``, or the ``parts`` it does
    /// not skip.
    func childStage(_ context: PlanContext) -> any ChildStage<Item> {
        guard !parts.isEmpty else { return children(context) }
        return ChildStages<Item>.of(parts.filter { !context.options.skipped.contains($0.part.name) }.map { $0.stage(context) })
    }

    /// A page loader for this resource over `pages`.
    func loader(
        _ context: PlanContext, spec: TableSpec? = nil, pages: @escaping @Sendable () -> PageSequence<Item>,
        endsTraversal: @escaping @Sendable (Page<Item>) -> Bool = { _ in false }, rechecksRejected: Bool = true, withChildren: Bool = true
    ) -> PageLoader<Item> {
        PageLoader(
            context: context, declaration: self, spec: spec ?? table.spec, pages: pages, endsTraversal: endsTraversal,
            rechecksRejected: rechecksRejected, withChildren: withChildren
        )
    }

    /// Confirms unlisted rows by their single GET (``DeletionCheck``); live ones get their derived rows rebuilt.
    func deletionCheck(_ context: PlanContext, spec: TableSpec? = nil) -> DeletionCheck<Item> {
        DeletionCheck(
            context: context, resource: resource, spec: spec ?? table.spec,
            fetch: { id in try await Item.fetch(id: id, context) },
            stageRow: table.append(_:companyID:to:),
            afterUpsert: { [derived] loader, changed in try await derived(loader, context.companyID, changed) }
        )
    }
}

/// How a resource's list is read; chosen in its declaration.
enum Traversal<Item: SyncedRecord>: Sendable {
    /// Sorted by `updated_at`: a sync reads newest first down to the watermark − lookback
    /// (``UpdatedAtPlan``); a backfill reads a creation-time window; reconcile reads it all.
    case updatedAt(@Sendable (UnderstoryClient, ListQuery) -> PageSequence<Item>)
    /// A window on local start time (the API has no `updated_at` filter): a sync reads the
    /// rolling window (``ListPassPlan``), a backfill a start-time window.
    case startWindow(@Sendable (UnderstoryClient, _ from: LocalDateTime?, _ to: LocalDateTime?, _ limit: Int) -> PageSequence<Item>)
    /// The whole (small) list every run (``ListPassPlan``); nothing to backfill.
    case fullList(@Sendable (UnderstoryClient, SyncOptions) -> PageSequence<Item>)

    /// Page size of a start-time window: the option, within what the API allows (1…500).
    static func windowPageSize(_ options: SyncOptions) -> Int { min(500, max(options.eventsPageSize, 1)) }

    /// The whole list, as a sync without a cutoff and reconcile read it: newest first by
    /// `updated_at`, the window of `options` (all with `--full`), or everything.
    func everything(_ context: PlanContext, now: Date) -> @Sendable () -> PageSequence<Item> {
        let client = context.client, options = context.options
        switch self {
        case .updatedAt(let list):
            return { list(client, ListQuery(limit: options.pageSize, sort: .updatedDescending)) }
        case .startWindow(let list):
            let window = StartWindow.window(options, now: now)
            return { list(client, window?.0, window?.1, Self.windowPageSize(options)) }
        case .fullList(let list):
            return { list(client, options) }
        }
    }

    /// Stored rows of the list `everything` reads, for deciding what it no longer holds (``DeletionCheck``).
    func scope(_ options: SyncOptions, now: Date) -> (sql: String?, parameters: [(any PostgresEncodable)?]) {
        guard case .startWindow = self else { return (nil, []) }
        return StartWindow.scope(StartWindow.window(options, now: now))
    }
}

/// Children of a parent fetched from an endpoint of their own (order line items, refunds and
/// transactions; booking tickets; experience ticket variants): only for parents that are new or
/// changed, replaced in the parents' transaction — and audited by reconcile (``ChildrenAudit``).
/// A resource without such children has ``NoChildren``.
///
/// In a batch's transaction the stage runs in two steps around the parents' upsert: ``stage(_:parents:)``
/// before it (fetch, reject the parents whose children cannot be stored, stage the rest), then
/// ``replaceStanding(_:_:)`` after it, which replaces the children only of the parents whose
/// stored version is not newer than the staged one (``NewestWins``), those rows locked.
protocol ChildStage<Parent>: Sendable {
    associatedtype Parent: SyncedRecord
    /// The child tables (their staging tables are prepared before the first batch); none for
    /// ``NoChildren``.
    var tables: [TableSpec] { get }
    /// The column of each of `tables` naming the parent (`order_id`, `booking_id`, …).
    var parentColumn: String { get }
    /// When a batch is complete, before the previous batch loads (outside any transaction): start
    /// fetching children for it, overlapping that load.
    func prefetch(_ parents: [Fetched<Parent>]) async throws
    /// The traversal failed: stop what `prefetch` started.
    func cancelPrefetches()
    /// Inside the batch's transaction, after the parents are staged and before their upsert:
    /// fetches and stages the children of the parents that changed; parents whose children
    /// cannot be stored are rejected (and taken out of the staged parents).
    func stage(_ loader: BatchLoader, parents: [Fetched<Parent>]) async throws -> StagedChildren
    /// After the parents' upsert: replaces the children of the staged parents that stand with the
    /// staged ones, and rebuilds derived rows. Returns the rows written.
    func replaceStanding(_ loader: BatchLoader, _ staged: StagedChildren) async throws -> Int
    /// The children of `parentIDs` fetched (again) as rows of `tables`, no transaction open.
    func fetchRows(_ parentIDs: [String]) async throws -> ChildRows
    /// After the children of `parentIDs` were replaced: rebuilds the rows derived from them
    /// (booking ticket items); returns the rows written.
    func replaceDerived(_ loader: BatchLoader, parentIDs: [String]) async throws -> Int
}

extension ChildStage {
    func replaceDerived(_ loader: BatchLoader, parentIDs: [String]) async throws -> Int { 0 }
}

/// A stage that fetches children for parents of one account: what staging and replacing them needs.
protocol ParentChildStage<Parent>: ChildStage {
    associatedtype Parent
    var context: PlanContext { get }
    /// The parents' resource and table.
    var resource: Resource { get }
    var parentSpec: TableSpec { get }
}

extension ParentChildStage {
    /// Inside the batch's transaction, before the upsert: takes the parents whose children cannot
    /// be stored out of the staged parents and rejects them, then stages the children of the
    /// other `parentIDs` (`rows`) for ``replaceStanding(_:_:)``.
    func stageRows(_ loader: BatchLoader, rows: ChildRows, parentIDs: [String], parents: [Fetched<Parent>]) async throws -> StagedChildren {
        var result = StagedChildren(sanitized: rows.sanitized)
        if !rows.rejected.isEmpty {
            let raws = Dictionary(parents.map { ($0.model.id, $0.raw) }, uniquingKeysWith: { _, last in last })
            result.rejected = rows.rejected.map {
                RejectedItem(resource: resource, itemID: $0.parentID, reason: $0.reason, raw: raws[$0.parentID])
            }
            try await loader.unstage(parentSpec, companyID: context.companyID, ids: rows.rejected.map(\.parentID))
        }
        let rejectedIDs = Set(rows.rejected.map(\.parentID))
        result.parentIDs = parentIDs.filter { !rejectedIDs.contains($0) }
        try await rows.stage(loader)
        return result
    }

    /// After the parents' upsert: replaces the children of the staged parents that stand (the
    /// stored row is the staged version or older, ``BatchLoader/standingParents(_:companyID:parentIDs:)``)
    /// with the staged ones, and rebuilds derived rows. Returns the rows written.
    func replaceStanding(_ loader: BatchLoader, _ staged: StagedChildren) async throws -> Int {
        let standing = try await loader.standingParents(parentSpec, companyID: context.companyID, parentIDs: staged.parentIDs)
        var written = 0
        for spec in tables {
            written += try await loader.replaceChildren(spec, parentColumn: parentColumn, companyID: context.companyID, parentIDs: standing)
        }
        return written + (try await replaceDerived(loader, parentIDs: standing))
    }
}

/// Child rows of some parents, each table's in its own buffer, each parent's rows all or none.
struct ChildRows: Sendable {
    /// The rows of each child table, in the order the tables were first given rows.
    private(set) var tables: [(spec: TableSpec, rows: CopyBuffer)] = []
    /// Parents whose children cannot be stored, with why (in a sync the parent is rejected).
    var rejected: [(parentID: String, reason: String)] = []
    /// Parents that answered 404: no children (a deletion check confirms them gone later).
    var gone: [String] = []
    var sanitized = 0
    var requests = 0

    init(requests: Int) {
        self.requests = requests
    }

    /// Adds one parent's rows of `spec` (already checked: they all store).
    mutating func append(_ rows: CopyBuffer, to spec: TableSpec) {
        if let index = tables.firstIndex(where: { $0.spec.name == spec.name }) {
            tables[index].rows.append(contentsOf: rows)
        } else {
            tables.append((spec, rows))
        }
    }

    /// COPYs each table's rows into its staging table.
    func stage(_ loader: BatchLoader) async throws {
        for (spec, rows) in tables { try await loader.stage(spec, rows) }
    }
}

/// The stage of a resource whose rows have no children fetched per parent (or whose children an
/// option leaves out): stages nothing, so a batch loads as soon as it is complete.
struct NoChildren<Parent: SyncedRecord>: ChildStage {
    var tables: [TableSpec] { [] }
    var parentColumn: String { "" }

    func prefetch(_ parents: [Fetched<Parent>]) async throws {}
    func cancelPrefetches() {}
    func stage(_ loader: BatchLoader, parents: [Fetched<Parent>]) async throws -> StagedChildren { StagedChildren() }
    func fetchRows(_ parentIDs: [String]) async throws -> ChildRows { ChildRows(requests: 0) }
    func replaceStanding(_ loader: BatchLoader, _ staged: StagedChildren) async throws -> Int { 0 }
}
