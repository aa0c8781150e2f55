import Hummingbird

/// The token endpoint's shared steps: form parsing, client authentication (client_secret_post),
/// audience, and the `client_credentials` grant.
extension SimulatorResponder {
    /// The parsed form of a token or revocation request, or the error response.
    func oauthForm(_ request: Request) async -> Result<[String: String], APIFailure> {
        guard request.method == .post else {
            return .failure(APIFailure(response: Reply.oauth(.methodNotAllowed, "invalid_request", "use POST")))
        }
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        guard contentType.hasPrefix("application/x-www-form-urlencoded") else {
            return .failure(
                APIFailure(response: Reply.oauth(.badRequest, "invalid_request", "Content-Type must be application/x-www-form-urlencoded"))
            )
        }
        guard let body = try? await request.body.collect(upTo: 64 * 1024) else {
            return .failure(APIFailure(response: Reply.oauth(.badRequest, "invalid_request", "request body too large or unreadable")))
        }
        var form: [String: String] = [:]
        for (name, value) in FormDecoding.parse(Substring(String(buffer: body))) where form[name] == nil {
            form[name] = value
        }
        return .success(form)
    }

    /// Who sent a token or revocation request (client_secret_post), or the `invalid_client` response.
    func authenticateClient(_ request: Request, form: [String: String]) -> Result<OAuthCaller, APIFailure> {
        guard let clientID = form["client_id"], let secret = form["client_secret"], !clientID.isEmpty, !secret.isEmpty else {
            if request.headers[.authorization] != nil {
                return .failure(
                    APIFailure(
                        response: Reply.oauth(.unauthorized, "invalid_client", "send client_id and client_secret in the form body (client_secret_post)")
                    )
                )
            }
            return .failure(APIFailure(response: Reply.oauth(.unauthorized, "invalid_client", "client_id and client_secret are required")))
        }
        let config = self.simulator.configuration
        if let client = config.clients.first(where: { $0.id == clientID && $0.secret == secret }) {
            return .success(.integrationKey(client))
        }
        if let app = config.apps.first(where: { $0.id == clientID && $0.secret == secret }) {
            return .success(.app(app))
        }
        return .failure(APIFailure(response: Reply.oauth(.unauthorized, "invalid_client", "client authentication failed")))
    }

    /// `nil` when `audience` is the configured one, else the `invalid_request` response.
    func checkAudience(_ form: [String: String]) -> Response? {
        let config = self.simulator.configuration
        guard let audience = form["audience"], !audience.isEmpty else {
            return Reply.oauth(.badRequest, "invalid_request", "audience is required (\(config.audience))")
        }
        guard audience == config.audience else {
            return Reply.oauth(.badRequest, "invalid_request", "unknown audience; expected \(config.audience)")
        }
        return nil
    }

    /// `POST /oauth2/token`: `client_credentials` for integration keys here; `authorization_code`
    /// and `refresh_token` for apps in OAuthGrants.swift.
    func token(_ request: Request) async -> Response {
        let form: [String: String]
        switch await self.oauthForm(request) {
        case .success(let parsed): form = parsed
        case .failure(let failure): return failure.response
        }
        guard let grant = form["grant_type"], !grant.isEmpty else {
            return Reply.oauth(.badRequest, "invalid_request", "grant_type is required")
        }
        guard ["client_credentials", "authorization_code", "refresh_token"].contains(grant) else {
            return Reply.oauth(
                .badRequest, "unsupported_grant_type", "supported: client_credentials (integration keys), authorization_code and refresh_token (apps)"
            )
        }
        let caller: OAuthCaller
        switch self.authenticateClient(request, form: form) {
        case .success(let found): caller = found
        case .failure(let failure): return failure.response
        }
        let client: SimulatorClient
        switch (caller, grant) {
        case (.integrationKey(let key), "client_credentials"):
            client = key
        case (.app(let app), "authorization_code"):
            return self.authorizationCodeGrant(app: app, form: form)
        case (.app(let app), "refresh_token"):
            return self.refreshTokenGrant(app: app, form: form)
        case (.app, _):
            return Reply.oauth(.badRequest, "unauthorized_client", "a third-party app may not use client_credentials; use authorization_code")
        case (.integrationKey, _):
            return Reply.oauth(.badRequest, "unauthorized_client", "an integration key may only use client_credentials")
        }
        if let failure = self.checkAudience(form) { return failure }
        let allowed = client.scopes.union(["openid"])
        let requested = Set((form["scope"] ?? "").split(separator: " ").map(String.init))
        let granted: Set<String>
        if requested.isEmpty {
            granted = allowed
        } else {
            let refused = requested.subtracting(allowed)
            guard refused.isEmpty else {
                if self.simulator.runtime.withLock({ $0.faults.invalidScopeUnnamed }) {
                    return Reply.oauth(.badRequest, "invalid_scope", "invalid scope")
                }
                return Reply.oauth(.badRequest, "invalid_scope", "scope not allowed for this client: \(refused.sorted().joined(separator: " "))")
            }
            granted = requested
        }
        let token = OAuthState.newToken()
        let company = self.simulator.companyData(client.companyID)?.index ?? 0
        let now = self.simulator.now
        let (ttl, omitScope) = self.simulator.runtime.withLock { runtime in
            let ttl = runtime.faults.tokenTTL
            runtime.pruneTokens(now: now)
            runtime.tokens[token] = Runtime.IssuedToken(clientID: client.id, scopes: granted, expiresAt: now + ttl, company: company)
            return (ttl, runtime.faults.tokenResponseOmitsScope)
        }
        return Reply.token(access: token, ttl: ttl, scopes: omitScope ? nil : granted, refresh: nil)
    }
}
