import UnderstoryAPI

/// A top-level API item with an id and, mostly, a last-change time: what the page loader needs.
protocol SyncedRecord: APIModel {
    var id: String { get }
    /// `updated_at`; nil for items the API sends without timestamps (marketing consents).
    var changedAt: Timestamp? { get }
    /// The single GET of one item by id (to fetch a rejected item again); a missing one is `.notFound`.
    static func fetch(id: String, _ context: PlanContext) async throws -> Fetched<Self>
}

extension Booking: SyncedRecord {
    var changedAt: Timestamp? { updatedAt }

    static func fetch(id: String, _ context: PlanContext) async throws -> Fetched<Booking> {
        try await context.client.booking(id: id, logger: context.logger)
    }
}

extension Order: SyncedRecord {
    var changedAt: Timestamp? { updatedAt }

    static func fetch(id: String, _ context: PlanContext) async throws -> Fetched<Order> {
        try await context.client.order(id: id, logger: context.logger)
    }
}

extension Event: SyncedRecord {
    var changedAt: Timestamp? { updatedAt }

    static func fetch(id: String, _ context: PlanContext) async throws -> Fetched<Event> {
        try await context.client.event(id: id, logger: context.logger)
    }
}

extension Experience: SyncedRecord {
    var changedAt: Timestamp? { updatedAt }

    static func fetch(id: String, _ context: PlanContext) async throws -> Fetched<Experience> {
        try await context.client.experience(id: id, acceptLanguage: context.options.acceptLanguage, logger: context.logger)
    }
}

extension MarketingConsent: SyncedRecord {
    var changedAt: Timestamp? { nil }

    static func fetch(id: String, _ context: PlanContext) async throws -> Fetched<MarketingConsent> {
        try await context.client.marketingConsent(id: id, logger: context.logger)
    }
}
