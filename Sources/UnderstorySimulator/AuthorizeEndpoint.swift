import Foundation
import Hummingbird
import URLEncoding

/// `GET /oauth2/auth`: the browser step of authorization_code with PKCE. There is no login page:
/// the simulated user answers at once as `Simulator.setConsent` says (default: approve as the
/// primary company's user).
///
/// Errors before the redirect URI is trusted (unknown `client_id`, missing or unregistered
/// `redirect_uri`) are a 400 JSON page; every later error is a 302 back to the app with
/// `error`, `error_description` and `state`.
extension SimulatorResponder {
    func authorize(_ request: Request) -> Response {
        guard request.method == .get || request.method == .head else {
            return Reply.oauth(.methodNotAllowed, "invalid_request", "use GET")
        }
        var query: [String: String] = [:]
        if let raw = request.uri.query {
            for (name, value) in FormDecoding.parse(Substring(raw)) where query[name] == nil { query[name] = value }
        }
        guard let clientID = query["client_id"], let app = self.simulator.configuration.apps.first(where: { $0.id == clientID }) else {
            return Reply.oauth(.badRequest, "invalid_client", "unknown client_id")
        }
        guard let redirect = query["redirect_uri"], !redirect.isEmpty else {
            return Reply.oauth(.badRequest, "invalid_request", "redirect_uri is required")
        }
        guard Self.redirectAllowed(redirect, for: app) else {
            return Reply.oauth(.badRequest, "invalid_request", "redirect_uri is not registered for this client")
        }
        let state = query["state"]
        func back(_ parameters: [(String, String)]) -> Response {
            Self.redirect(to: redirect, parameters: parameters + (state.map { [("state", $0)] } ?? []))
        }
        func error(_ code: String, _ description: String) -> Response {
            back([("error", code), ("error_description", description)])
        }
        guard query["response_type"] == "code" else {
            return error("unsupported_response_type", "response_type must be code")
        }
        guard let challenge = query["code_challenge"], !challenge.isEmpty else {
            return error("invalid_request", "PKCE is required: send code_challenge and code_challenge_method=S256")
        }
        guard query["code_challenge_method"] == "S256" else {
            return error("invalid_request", "code_challenge_method must be S256")
        }
        guard PKCE.isWellFormed(challenge, exactly: 43) else {
            return error("invalid_request", "code_challenge must be 43 characters of base64url (S256 of the verifier)")
        }
        let allowed = app.scopes.union(["openid"])
        let requested = Set((query["scope"] ?? "").split(separator: " ").map(String.init))
        let refused = requested.subtracting(allowed)
        guard refused.isEmpty else {
            return error("invalid_scope", "scope not allowed for this client: \(refused.sorted().joined(separator: " "))")
        }
        let scopes = requested.isEmpty ? allowed : requested
        let now = self.simulator.now
        let companies = self.simulator.companies
        let code: String? = self.simulator.runtime.withLock { runtime in
            switch runtime.oauth.decision {
            case .deny:
                runtime.oauth.statistics.denials += 1
                return nil
            case .approve(let companyID):
                let company = companies.first { $0.company.id == companyID }?.index ?? 0
                let code = OAuthState.newToken(prefix: "ac.")
                runtime.pruneTokens(now: now)
                runtime.oauth.codes[code] = OAuthState.Code(
                    clientID: app.id, redirectURI: redirect, challenge: challenge, company: company, scopes: scopes,
                    expiresAt: now + runtime.faults.authorizationCodeTTL
                )
                runtime.oauth.statistics.authorizations += 1
                return code
            }
        }
        guard let code else {
            return error("access_denied", "the resource owner denied the request")
        }
        return back([("code", code), ("scope", scopes.sorted().joined(separator: " "))])
    }

    /// Exact match with a registered URI, or an `http` loopback URI (RFC 8252 §7.3) that equals a
    /// registered one apart from the port; with nothing registered, any `http` loopback URI.
    static func redirectAllowed(_ uri: String, for app: SimulatorApp) -> Bool {
        if app.redirectURIs.contains(uri) { return true }
        guard var components = URLComponents(string: uri), components.scheme?.lowercased() == "http",
            let host = components.host?.lowercased(), ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host),
            components.user == nil, components.password == nil, components.fragment == nil
        else { return false }
        if app.redirectURIs.isEmpty { return true }
        components.port = nil
        guard let portless = components.string else { return false }
        return app.redirectURIs.contains(portless)
    }

    /// 302 to `uri` with `parameters` appended to its query (percent-encoded).
    static func redirect(to uri: String, parameters: [(String, String)]) -> Response {
        let query = PercentEncoding.formEncode(parameters)
        let separator = uri.contains("?") ? (uri.hasSuffix("?") || uri.hasSuffix("&") ? "" : "&") : "?"
        var response = Response(status: .found)
        response.headers[.location] = uri + separator + query
        response.headers[.cacheControl] = "no-store"
        return response
    }
}
