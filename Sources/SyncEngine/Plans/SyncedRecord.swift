import UnderstoryAPI

/// A top-level API item with an id and, mostly, a last-change time: what the page loader needs.
protocol SyncedRecord: APIModel {
    var id: String { get }
    /// `updated_at`; nil for items the API sends without timestamps (marketing consents).
    var changedAt: Timestamp? { get }
    /// The single GET of one item by id (to fetch a rejected item again); a missing one is `.notFound`.
    static func fetch(id: String, _ context: PlanContext) async throws -> Fetched<Self>
}
