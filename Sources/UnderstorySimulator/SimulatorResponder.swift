import Hummingbird

/// The simulator's route handlers (the routes themselves: ``Simulator/makeRouter()``). This file:
/// the `/v1` reads behind faults, authentication and the scope.
struct SimulatorResponder: Sendable {
    typealias Context = SimulatorRequestContext
    let simulator: Simulator

    struct APIFailure: Error {
        var response: Response
    }

    enum OrderChildKind: Sendable { case lineItems, refunds, transactions }

    /// The company whose data the request's token reads.
    func company(_ context: Context) -> CompanyData {
        self.simulator.companies[context.authenticatedToken.company]
    }

    /// `GET /v1/me`.
    func me(_ request: Request, context: Context) -> Response {
        Reply.json(.ok, self.company(context).store.withLock { $0.me })
    }

    /// `GET /v1/{resource}/{id}` (an experience in the negotiated language).
    func item(_ resource: SimulatorResource, _ request: Request, context: Context) -> Response {
        let id = context.parameters.get("id") ?? ""
        let bytes: [UInt8]? = self.company(context).store.withLock { store in
            let table = store.table(resource)
            guard let index = table.index(of: id), !table[index].deleted else { return nil }
            return resource == .experiences ? store.experienceLocalized[index][context.language] : table[index].json
        }
        guard let bytes else { return Reply.error(.notFound, "NOT_FOUND", "no \(resource.rawValue.dropLast()) with id \(id)") }
        return Reply.json(.ok, bytes)
    }

    /// `GET /v1/orders/{id}/line-items`, `…/refunds`, `…/transactions` (one page, no `next`).
    func orderChildren(_ kind: OrderChildKind, _ request: Request, context: Context) -> Response {
        let id = context.parameters.get("id") ?? ""
        let items: [[UInt8]]? = self.company(context).store.withLock { store in
            guard let index = store.orders.index(of: id), !store.orders[index].deleted else { return nil }
            let children = store.orderChildren[index]
            switch kind {
            case .lineItems: return children.lineItems
            case .refunds: return children.refunds
            case .transactions: return children.transactions
            }
        }
        return Reply.children(items, parent: "order", id: id)
    }

    /// `GET /v1/bookings/{id}/tickets` (one page, no `next`).
    func bookingTickets(_ request: Request, context: Context) -> Response {
        let id = context.parameters.get("id") ?? ""
        let items: [[UInt8]]? = self.company(context).store.withLock { store in
            guard let index = store.bookings.index(of: id), !store.bookings[index].deleted else { return nil }
            return BookingTickets.items(bookingID: id, booking: store.bookings[index].json, revision: store.childRevisions[id] ?? 0)
        }
        return Reply.children(items, parent: "booking", id: id)
    }

    /// `GET /v1/experiences/{id}/ticket-variants` (one page, an empty `next`).
    func experienceTicketVariants(_ request: Request, context: Context) -> Response {
        let id = context.parameters.get("id") ?? ""
        let items: [[UInt8]]? = self.company(context).store.withLock { store in
            guard let index = store.experiences.index(of: id), !store.experiences[index].deleted else { return nil }
            return ExperienceTicketVariants.items(
                experienceID: id, experience: store.experiences[index].json, revision: store.childRevisions[id] ?? 0
            )
        }
        return Reply.children(items, parent: "experience", id: id, next: "")
    }
}

extension SimulatorResource {
    /// The scope a token needs to read this resource.
    var scope: String {
        switch self {
        case .bookings: return "booking.read"
        case .orders: return "order.read"
        case .events: return "event.read"
        case .experiences: return "experience.read"
        case .marketingConsents: return "marketing.read"
        }
    }

    /// Served in the language `Accept-Language` asks for (``LanguageNegotiation``).
    var isLocalized: Bool { self == .experiences }
}
