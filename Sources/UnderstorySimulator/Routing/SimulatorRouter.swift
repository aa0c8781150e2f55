import Hummingbird

/// Every route the simulator serves, in one table.
///
/// Adding a route: write its handler as a `SimulatorResponder` method
/// `(Request, SimulatorRequestContext) -> Response` in its own file, then add one line here in
/// the group it belongs to:
/// - an API read: `api.read("things/:id", scope: "thing.read", use: responder.thing)` — it gets
///   the faults, the answer hold, bearer authentication and the scope; other methods answer 405.
///   A new ``SimulatorResource`` case gets its list and item routes from the loop in `addAPI`.
/// - an admin route: `admin.post("thing", use: responder.adminThing)` (served only when
///   `adminEnabled`; unknown `company=` is 404 before the handler).
/// The context carries what the middleware learned: ``SimulatorRequestContext/token``,
/// `faults`, `language`; `context.parameters.get("id")` is a path parameter.
extension Simulator {
    func makeRouter() -> Router<SimulatorRequestContext> {
        let responder = SimulatorResponder(simulator: self)
        let router = Router(context: SimulatorRequestContext.self)
        router.add(middleware: RequestCounting(simulator: self))
        router.add(middleware: NoRouteAnswer())
        self.addAuthorizationServer(to: router, responder)
        self.addAPI(to: router, responder)
        self.addWebhookSubscriptions(to: router, responder)
        if self.configuration.adminEnabled { self.addAdmin(to: router, responder) }
        return router
    }

    /// OIDC discovery and the OAuth endpoints (each checks its own method, answering OAuth errors).
    private func addAuthorizationServer(to router: Router<SimulatorRequestContext>, _ responder: SimulatorResponder) {
        router.get("/.well-known/openid-configuration") { request, _ in responder.discovery(request) }
        router.get("/.well-known/jwks.json") { _, _ in responder.keySet() }
        router.onEveryMethod("/oauth2/token") { request, _ in await responder.token(request) }
        router.onEveryMethod("/oauth2/auth") { request, _ in responder.authorize(request) }
        router.onEveryMethod("/oauth2/revoke") { request, _ in await responder.revoke(request) }
    }

    /// `/v1` reads: every resource's list and item, and the sub-resources.
    private func addAPI(to router: Router<SimulatorRequestContext>, _ responder: SimulatorResponder) {
        let api = APIRoutes(router, simulator: self)
        api.read("me", scope: nil, use: responder.me)
        for resource in SimulatorResource.allCases {
            let path = resource.rawValue
            api.read("\(path)", scope: resource.scope, localized: resource.isLocalized) { request, context in
                responder.list(resource, request, context: context)
            }
            api.read("\(path)/:id", scope: resource.scope, localized: resource.isLocalized) { request, context in
                responder.item(resource, request, context: context)
            }
        }
        let children: [(String, SimulatorResponder.OrderChildKind)] = [
            ("line-items", .lineItems), ("refunds", .refunds), ("transactions", .transactions),
        ]
        for (path, kind) in children {
            api.read("orders/:id/\(path)", scope: SimulatorResource.orders.scope) { request, context in
                responder.orderChildren(kind, request, context: context)
            }
        }
        api.read("bookings/:id/tickets", scope: SimulatorResource.bookings.scope, use: responder.bookingTickets)
        api.read("experiences/:id/ticket-variants", scope: SimulatorResource.experiences.scope, localized: true, use: responder.experienceTicketVariants)
        // Event availability (per experience) and the questions and answers of checkout.
        api.read("event-availabilities", scope: SimulatorResource.events.scope) { request, context in
            responder.eventAvailabilities(request, faults: context.faults, company: responder.company(context))
        }
        api.read("event-availabilities/:id", scope: SimulatorResource.events.scope) { _, context in
            responder.eventAvailability(eventID: context.parameters.get("id") ?? "", company: responder.company(context))
        }
        api.read("experiences/:id/information-requests", scope: SimulatorResource.experiences.scope, localized: true) { _, context in
            responder.informationRequests(
                experienceID: context.parameters.get("id") ?? "", language: self.configuration.languages[context.language],
                company: responder.company(context)
            )
        }
        api.read("bookings/:id/information-request-answers", scope: SimulatorResource.bookings.scope) { _, context in
            responder.informationAnswers(bookingID: context.parameters.get("id") ?? "", company: responder.company(context))
        }
        // Lists a test declares (``SimulatorConfiguration/lists``): a page, or one item.
        for list in self.configuration.lists {
            api.read("\(list.name)", scope: list.scope) { request, _ in list.respond(id: nil, query: request.uri.query) }
            api.read("\(list.name)/:id", scope: list.scope) { request, context in
                list.respond(id: context.parameters.get("id") ?? "", query: request.uri.query)
            }
        }
    }

    /// `/v1/webhook-subscriptions`: authenticated, but outside the `/v1` faults.
    private func addWebhookSubscriptions(to router: Router<SimulatorRequestContext>, _ responder: SimulatorResponder) {
        let subscriptions = router.group("/v1/webhook-subscriptions").add(middleware: BearerAuthentication(simulator: self))
        subscriptions.group().add(middleware: RequireScope("webhook.read", self))
            .get(use: responder.webhookSubscriptions)
            .get(":id", use: responder.webhookSubscription)
        subscriptions.group().add(middleware: RequireScope("webhook.write", self))
            .post(use: responder.createWebhookSubscription)
            .delete(":id", use: responder.deleteWebhookSubscription)
    }

    /// `/_admin/…` (see `SimulatorResponder+Admin.swift`): no authentication; never expose it publicly.
    private func addAdmin(to router: Router<SimulatorRequestContext>, _ responder: SimulatorResponder) {
        router.get("/_admin/webhooks", use: responder.adminWebhooks)
        router.post("/_admin/webhooks", use: responder.adminWebhooks)
        router.post("/_admin/hold", use: responder.holdAnswers)
        router.get("/_admin/hold", use: responder.heldAnswers)
        router.post("/_admin/release", use: responder.releaseAnswers)
        let admin = router.group("/_admin").add(middleware: KnownCompany(simulator: self))
        admin.post("mutate", use: responder.adminMutate)
        admin.post("touch", use: responder.adminTouch)
        admin.post("cancel", use: responder.adminCancel)
        admin.post("corrupt", use: responder.adminCorrupt)
        admin.post("set", use: responder.adminSet)
        admin.post("set-line-item", use: responder.adminSetLineItem)
        admin.post("delete", use: responder.adminDelete)
        admin.post("order-children", use: responder.adminOrderChildren)
        admin.post("expire-tokens", use: responder.adminExpireTokens)
        admin.post("consent", use: responder.adminConsent)
        admin.post("revoke-consent", use: responder.adminRevokeConsent)
        admin.post("bulk-connect", use: responder.adminBulkConnect)
        admin.get("truth", use: responder.adminTruth)
        admin.get("stats", use: responder.adminStats)
        admin.get("faults", use: responder.adminFaults)
        admin.post("faults", use: responder.adminFaults)
    }
}

/// Registers `/v1` reads: GET and HEAD behind the answer hold, the faults, bearer authentication,
/// the scope and (for localized resources) language negotiation; any other method is 405 after
/// the faults, before authentication.
struct APIRoutes {
    typealias Context = SimulatorRequestContext
    typealias Handler = @Sendable (Request, Context) async throws -> Response
    let admitted: RouterGroup<Context>
    let authenticated: RouterGroup<Context>
    let simulator: Simulator

    init(_ router: Router<Context>, simulator: Simulator) {
        self.admitted = router.group("/v1").add(middleware: AnswerHolding(simulator: simulator)).add(middleware: APIAdmission(simulator: simulator))
        self.authenticated = self.admitted.group().add(middleware: BearerAuthentication(simulator: simulator))
        self.simulator = simulator
    }

    func read(_ path: String, scope: String?, localized: Bool = false, use handler: @escaping Handler) {
        let group = self.authenticated.group()
        if let scope { group.add(middleware: RequireScope(scope, self.simulator)) }
        if localized { group.add(middleware: LanguageNegotiation(languages: self.simulator.configuration.languages)) }
        group.get(RouterPath(path), use: handler)
        group.head(RouterPath(path), use: handler)
        for method in [HTTPRequest.Method.post, .put, .patch, .delete] {
            self.admitted.on(RouterPath(path), method: method) { _, _ in
                Reply.error(.methodNotAllowed, "METHOD_NOT_ALLOWED", "only GET is supported here")
            }
        }
    }
}

/// 404 for an admin request naming an unknown `company=`.
struct KnownCompany: RouterMiddleware {
    typealias Context = SimulatorRequestContext
    let simulator: Simulator

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let company = SimulatorResponder.AdminQuery(request).company
        guard self.simulator.companyData(company) != nil else {
            return Reply.error(.notFound, "NOT_FOUND", "no company \(company ?? "")")
        }
        return try await next(request, context)
    }
}

extension Router where Context == SimulatorRequestContext {
    /// Routes every method to `handler` (for endpoints that answer a wrong method themselves).
    func onEveryMethod(_ path: RouterPath, use handler: @escaping @Sendable (Request, Context) async throws -> Response) {
        for method in [HTTPRequest.Method.get, .head, .post, .put, .patch, .delete, .options] {
            self.on(path, method: method, use: handler)
        }
    }
}
