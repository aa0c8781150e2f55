import UnderstoryAPI

/// The resources this build syncs, each listed once by its declaration (`Resources/*.swift`).
/// Everything that enumerates resources reads the catalog in force, ``current``:
/// `Resource.allCases` (and so the CLI's `--resource` values and help, the run summaries,
/// `status`, the metrics), the synced tables (``TableSpec/all``: the catalog check, the metrics'
/// row counts, the schema map), the inbox worker's staging tables and webhook topics, and the
/// optional scopes the health check names.
///
/// ``current`` is ``product`` unless a test widens it with a resource of its own for the length of
/// a closure (`ResourceCatalog.$current.withValue(.product.adding(declaration)) { … }`): a
/// task-local value, so it reaches the tasks a run starts and no test running beside it.
struct ResourceCatalog: Sendable {
    let plans: [ResourcePlans]

    /// The product's resources, in the order runs report them.
    static let product = ResourceCatalog(plans: [
        ResourcePlans(Declarations.orders),
        ResourcePlans(Declarations.bookings),
        ResourcePlans(Declarations.events),
        ResourcePlans(Declarations.experiences),
        ResourcePlans(Declarations.marketingConsents),
        ResourcePlans(Declarations.availability),
    ])

    @TaskLocal static var current = product

    /// This catalog and one more resource (a test's).
    func adding<Item>(_ declaration: SyncedResource<Item>) -> ResourceCatalog {
        precondition(!resources.contains(declaration.resource), "\(declaration.resource) is declared twice")
        return ResourceCatalog(plans: plans + [ResourcePlans(declaration)])
    }

    var resources: [Resource] { plans.map(\.resource) }

    /// Every part of a resource that `--skip-resource` can leave out, in the catalog's order.
    var parts: [ChildPart] { plans.flatMap(\.parts) }

    /// The plans of `resource`, which a declaration of this catalog names.
    func plans(_ resource: Resource) -> ResourcePlans {
        guard let found = plans.first(where: { $0.resource == resource }) else {
            preconditionFailure("\(resource) is not in the resource catalog in force")
        }
        return found
    }

    /// Every table the resources write, each under the resource it belongs to: a resource's own
    /// table may also be another's child table (event availability, removed with its event).
    var tables: [TableSpec] {
        let own = Set(plans.map(\.table.name))
        return plans.flatMap { [$0.table] + $0.childTables.map(\.spec).filter { !own.contains($0.name) } }
    }

    /// The resource whose items webhook messages of `topic` are about, if this build syncs it.
    func resource(for topic: WebhookSubject.Topic) -> Resource? {
        plans.first { $0.webhookTopic == topic }?.resource
    }
}
