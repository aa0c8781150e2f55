import Hummingbird

/// What the routing middleware learned about a request, for the handlers after it.
struct SimulatorRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The faults in force when ``APIAdmission`` let the request in (`/v1` routes).
    var faults = SimulatorFaults()
    /// The access token ``BearerAuthentication`` accepted (authenticated routes).
    var token: Runtime.IssuedToken?
    /// The storefront language ``LanguageNegotiation`` picked: an index into the configured languages.
    var language = 0

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
    }

    /// The accepted token; only routes behind ``BearerAuthentication`` ask for it.
    var authenticatedToken: Runtime.IssuedToken {
        guard let token else { preconditionFailure("a route that needs a token is registered outside BearerAuthentication") }
        return token
    }
}
