/// A kind of record that understory-sync keeps in step: the name of one declaration
/// (``SyncedResource``, in `Resources/`). The resources there are, and each one's plans, come from
/// the catalog in force (``ResourceCatalog``): `allCases` lists them, `init(rawValue:)` finds one
/// by name (`--resource`, a stored row), `plans` reaches its declaration.
public struct Resource: RawRepresentable, CaseIterable, Sendable, Hashable, Codable, CustomStringConvertible {
    public let rawValue: String

    /// A resource's name, given once, next to its declaration (`static let orders = Resource("orders")`).
    init(_ name: String) {
        rawValue = name
    }

    /// The catalog's resource of that name; nil for any other.
    public init?(rawValue: String) {
        guard let known = Self.allCases.first(where: { $0.rawValue == rawValue }) else { return nil }
        self = known
    }

    /// Every resource of the catalog in force, in its order.
    public static var allCases: [Resource] { ResourceCatalog.current.resources }

    public var description: String { rawValue }

    /// The resource's plans for `sync`, `backfill`, `reconcile` and the webhook inbox, built from its declaration.
    var plans: ResourcePlans { ResourceCatalog.current.plans(self) }

    /// Whether its list has a time filter, so that `backfill` can reload a window of it.
    public var hasTimeFilter: Bool { plans.backfill != nil }

    /// The advisory-lock name that keeps two runs off the same account's resource.
    func lockName(companyID: String) -> String { "understory-sync:\(companyID):\(rawValue)" }
}
