import UnderstoryAPI

/// A top-level API item with an id and a last-change time: what the page loader needs.
protocol SyncedRecord: APIModel {
    var id: String { get }
    var updatedAt: Timestamp { get }
    /// The single GET of one item by id (to fetch a rejected item again); a missing one is `.notFound`.
    static func fetch(id: String, _ context: PlanContext) async throws -> Fetched<Self>
}

extension Booking: SyncedRecord {
    static func fetch(id: String, _ context: PlanContext) async throws -> Fetched<Booking> {
        try await context.client.booking(id: id, logger: context.logger)
    }
}

extension Order: SyncedRecord {
    static func fetch(id: String, _ context: PlanContext) async throws -> Fetched<Order> {
        try await context.client.order(id: id, logger: context.logger)
    }
}

extension Event: SyncedRecord {
    static func fetch(id: String, _ context: PlanContext) async throws -> Fetched<Event> {
        try await context.client.event(id: id, logger: context.logger)
    }
}

extension Experience: SyncedRecord {
    static func fetch(id: String, _ context: PlanContext) async throws -> Fetched<Experience> {
        try await context.client.experience(id: id, acceptLanguage: context.options.acceptLanguage, logger: context.logger)
    }
}
