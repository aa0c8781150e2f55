import Logging
import URLEncoding

/// Query of `/v1/bookings` and `/v1/orders`.
public struct ListQuery: Sendable, Hashable {
    /// Page size (the API allows 1...100; default 100).
    public var limit: Int?
    /// Created after (sent as `YYYY-MM-DDTHH:MM:SSZ`, floored to the second).
    public var from: Timestamp?
    /// Created before (sent as `YYYY-MM-DDTHH:MM:SSZ`, rounded *up* to the second so the window never narrows).
    public var to: Timestamp?
    public var sort: Sort?
    /// Start from this cursor instead of the first page (only within one run).
    public var cursor: String?

    public init(limit: Int? = nil, from: Timestamp? = nil, to: Timestamp? = nil, sort: Sort? = nil, cursor: String? = nil) {
        self.limit = limit
        self.from = from
        self.to = to
        self.sort = sort
        self.cursor = cursor
    }

    var items: [(String, String)] {
        var items: [(String, String)] = []
        if let limit { items.append(("limit", String(limit))) }
        if let from { items.append(("from", from.queryString)) }
        if let to { items.append(("to", to.ceilingToSecond.queryString)) }
        if let sort { items.append(("sort", sort.rawValue)) }
        return items
    }
}

/// Sort order of bookings and orders (`+`/`-` `created_at`/`updated_at`; `+` is sent as `%2B`).
public enum Sort: String, Sendable, Hashable, CaseIterable {
    case createdAscending = "+created_at"
    case createdDescending = "-created_at"
    case updatedAscending = "+updated_at"
    case updatedDescending = "-updated_at"
}

extension UnderstoryClient {
    /// `GET /v1/me` — the account behind the key (needs only a valid token).
    public func me(logger: Logger? = nil) async throws -> Fetched<Me> {
        try await fetchSingle(Me.self, path: "/v1/me", resource: Me.resourceName, scope: nil, logger: logger)
    }

    /// `GET /v1/bookings` (scope `booking.read`).
    public func bookings(_ query: ListQuery = ListQuery(), logger: Logger? = nil) -> PageSequence<Booking> {
        list(path: "/v1/bookings", query: query.items, scope: "booking.read", startCursor: query.cursor, logger: logger)
    }

    /// `GET /v1/orders` (scope `order.read`).
    public func orders(_ query: ListQuery = ListQuery(), logger: Logger? = nil) -> PageSequence<Order> {
        list(path: "/v1/orders", query: query.items, scope: "order.read", startCursor: query.cursor, logger: logger)
    }

    /// `GET /v1/events` (scope `event.read`): events whose local start is in `from` (inclusive)
    /// ..< `to` (exclusive), both local wall-clock times without offset. `limit` 1...500.
    public func events(
        from: LocalDateTime? = nil,
        to: LocalDateTime? = nil,
        limit: Int? = nil,
        cursor: String? = nil,
        logger: Logger? = nil
    ) -> PageSequence<Event> {
        var query: [(String, String)] = []
        if let limit { query.append(("limit", String(limit))) }
        if let from { query.append(("from", from.queryString)) }
        if let to { query.append(("to", to.queryString)) }
        return list(path: "/v1/events", query: query, scope: "event.read", startCursor: cursor, logger: logger)
    }

    /// `GET /v1/experiences` (scope `experience.read`), with `Accept-Language` (default: the configuration's).
    public func experiences(
        limit: Int? = nil,
        acceptLanguage: String? = nil,
        cursor: String? = nil,
        logger: Logger? = nil
    ) -> PageSequence<Experience> {
        let query: [(String, String)] = limit.map { [("limit", String($0))] } ?? []
        return list(
            path: "/v1/experiences", query: query, scope: "experience.read", startCursor: cursor,
            acceptLanguage: acceptLanguage ?? configuration.acceptLanguage, logger: logger
        )
    }

    /// `GET /v1/marketing-consents` (scope `marketing.read`): every consent, no filters or sort.
    public func marketingConsents(limit: Int? = nil, cursor: String? = nil, logger: Logger? = nil) -> PageSequence<MarketingConsent> {
        let query: [(String, String)] = limit.map { [("limit", String($0))] } ?? []
        return list(path: "/v1/marketing-consents", query: query, scope: "marketing.read", startCursor: cursor, logger: logger)
    }

    /// `GET /v1/marketing-consents/{id}` (scope `marketing.read`). A missing consent is `.notFound`.
    public func marketingConsent(id: String, logger: Logger? = nil) async throws -> Fetched<MarketingConsent> {
        try await fetchSingle(
            MarketingConsent.self, path: "/v1/marketing-consents/" + PercentEncoding.encode(id), resource: MarketingConsent.resourceName,
            scope: "marketing.read", logger: logger
        )
    }

    /// `GET /v1/events/{id}` (scope `event.read`). A missing event is `.notFound`.
    public func event(id: String, logger: Logger? = nil) async throws -> Fetched<Event> {
        try await fetchSingle(
            Event.self, path: "/v1/events/" + PercentEncoding.encode(id), resource: Event.resourceName,
            scope: "event.read", logger: logger
        )
    }

    /// `GET /v1/bookings/{id}` (scope `booking.read`). A missing booking is `.notFound`.
    public func booking(id: String, logger: Logger? = nil) async throws -> Fetched<Booking> {
        try await fetchSingle(
            Booking.self, path: "/v1/bookings/" + PercentEncoding.encode(id), resource: Booking.resourceName,
            scope: "booking.read", logger: logger
        )
    }

    /// `GET /v1/orders/{id}` (scope `order.read`). A missing order is `.notFound`.
    public func order(id: String, logger: Logger? = nil) async throws -> Fetched<Order> {
        try await fetchSingle(
            Order.self, path: "/v1/orders/" + PercentEncoding.encode(id), resource: Order.resourceName,
            scope: "order.read", logger: logger
        )
    }

    /// `GET /v1/experiences/{id}` (scope `experience.read`, needs `Accept-Language`). A missing
    /// (or deleted) experience is `.notFound`.
    public func experience(id: String, acceptLanguage: String? = nil, logger: Logger? = nil) async throws -> Fetched<Experience> {
        try await fetchSingle(
            Experience.self, path: "/v1/experiences/" + PercentEncoding.encode(id), resource: Experience.resourceName,
            scope: "experience.read", acceptLanguage: acceptLanguage ?? configuration.acceptLanguage, logger: logger
        )
    }

    /// `GET /v1/orders/{id}/line-items` (scope `order.read`), all of them, in API order.
    public func lineItems(orderID: String, logger: Logger? = nil) async throws -> [Fetched<LineItem>] {
        try await subResource(orderID: orderID, name: "line-items", logger: logger)
    }

    /// `GET /v1/orders/{id}/refunds` (scope `order.read`).
    public func refunds(orderID: String, logger: Logger? = nil) async throws -> [Fetched<Refund>] {
        try await subResource(orderID: orderID, name: "refunds", logger: logger)
    }

    /// `GET /v1/orders/{id}/transactions` (scope `order.read`).
    public func transactions(orderID: String, logger: Logger? = nil) async throws -> [Fetched<Transaction>] {
        try await subResource(orderID: orderID, name: "transactions", logger: logger)
    }

    /// `GET /v1/bookings/{id}/tickets` (scope `booking.read` [INFERRED]), all of them, in API order.
    public func tickets(bookingID: String, logger: Logger? = nil) async throws -> [Fetched<Ticket>] {
        try await ticketPages(bookingID: bookingID, logger: logger).collectItems()
    }

    /// `GET /v1/experiences/{id}/ticket-variants` (scope `experience.read`, needs `Accept-Language`),
    /// every page, in API order.
    public func ticketVariants(experienceID: String, acceptLanguage: String? = nil, logger: Logger? = nil) async throws -> [Fetched<TicketVariant>] {
        try await ticketVariantPages(experienceID: experienceID, acceptLanguage: acceptLanguage, logger: logger).collectItems()
    }

    /// `GET /v1/event-availabilities` (scope `event.read`): the availability of the events of one
    /// experience (`experienceId`, required and camelCase) whose local start lies in [`from`, `to`).
    /// The docs page says RFC 3339 for `from`/`to`, but the other clients pass local times like
    /// `/v1/events` takes; so does this one, to read the same window as events. `limit` 1…100.
    public func eventAvailabilities(
        experienceID: String, from: LocalDateTime? = nil, to: LocalDateTime? = nil, limit: Int? = nil, logger: Logger? = nil
    ) -> PageSequence<EventAvailability> {
        var query: [(String, String)] = [("experienceId", experienceID)]
        if let limit { query.append(("limit", String(min(100, max(1, limit))))) }
        if let from { query.append(("from", from.queryString)) }
        if let to { query.append(("to", to.queryString)) }
        return list(path: "/v1/event-availabilities", query: query, scope: "event.read", startCursor: nil, logger: logger)
    }

    /// `GET /v1/experiences/{id}/information-requests` (scope `experience.read`, needs
    /// `Accept-Language`): the questions asked at checkout, every page, in API order.
    public func informationRequests(experienceID: String, acceptLanguage: String? = nil, logger: Logger? = nil) async throws -> [Fetched<InformationRequest>] {
        try await list(
            path: "/v1/experiences/\(PercentEncoding.encode(experienceID))/information-requests", query: [], scope: "experience.read",
            startCursor: nil, acceptLanguage: acceptLanguage ?? configuration.acceptLanguage, logger: logger
        ).collectItems()
    }

    /// `GET /v1/bookings/{id}/information-request-answers` (scope `booking.read`, inferred): the
    /// customer's answers at checkout, every page, in API order (paging is not documented: a
    /// `next` is followed if sent).
    public func informationAnswers(bookingID: String, logger: Logger? = nil) async throws -> [Fetched<InformationAnswer>] {
        try await list(
            path: "/v1/bookings/\(PercentEncoding.encode(bookingID))/information-request-answers", query: [], scope: "booking.read",
            startCursor: nil, logger: logger
        ).collectItems()
    }

    private func subResource<Item: APIModel>(orderID: String, name: String, logger: Logger?) async throws -> [Fetched<Item>] {
        try await orderChildPages(orderID: orderID, name: name, logger: logger).collectItems()
    }

    // MARK: - Per-parent pages (one place for each path, shared with the fetch ceiling's undecoded pages)

    func ticketPages(bookingID: String, logger: Logger?) -> PageSequence<Ticket> {
        list(path: "/v1/bookings/\(PercentEncoding.encode(bookingID))/tickets", query: [], scope: "booking.read", startCursor: nil, logger: logger)
    }

    func ticketVariantPages(experienceID: String, acceptLanguage: String?, logger: Logger?) -> PageSequence<TicketVariant> {
        list(
            path: "/v1/experiences/\(PercentEncoding.encode(experienceID))/ticket-variants", query: [], scope: "experience.read",
            startCursor: nil, acceptLanguage: acceptLanguage ?? configuration.acceptLanguage, logger: logger
        )
    }

    /// `line-items`, `refunds` or `transactions` of an order.
    func orderChildPages<Item: APIModel>(orderID: String, name: String, logger: Logger?) -> PageSequence<Item> {
        list(path: "/v1/orders/\(PercentEncoding.encode(orderID))/\(name)", query: [], scope: "order.read", startCursor: nil, logger: logger)
    }

    func list<Item: APIModel>(
        path: String,
        query: [(String, String)],
        scope: String,
        startCursor: String?,
        acceptLanguage: String? = nil,
        logger: Logger?
    ) -> PageSequence<Item> {
        PageSequence(
            client: self,
            request: ListRequest(path: path, query: query, resource: Item.resourceName, scope: scope, acceptLanguage: acceptLanguage),
            startCursor: startCursor,
            logger: logger
        )
    }
}
