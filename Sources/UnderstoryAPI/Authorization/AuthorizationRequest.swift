import Foundation
import URLEncoding

/// One run of the authorization-code flow (with PKCE and `state`): the URL the user opens, and the
/// check of the redirect that comes back.
public struct AuthorizationRequest: Sendable {
    public let authorizeURL: String
    public let redirectURI: String
    /// Echoed back in the redirect; any other value means the redirect was not ours.
    public let state: String
    public let pkce: PKCE
    public let scopes: [String]

    /// - Parameters:
    ///   - endpoint: the issuer's `authorization_endpoint`.
    ///   - scopes: requested; `offline` (refresh tokens) is added when missing.
    public init(endpoint: String, clientID: String, redirectURI: String, scopes: [String], audience: String) {
        let scopes = scopes.contains("offline") ? scopes : scopes + ["offline"]
        let pkce = PKCE()
        let state = PKCE.randomToken(bytes: 24)
        let query = PercentEncoding.formEncode([
            ("response_type", "code"),
            ("client_id", clientID),
            ("redirect_uri", redirectURI),
            ("scope", scopes.joined(separator: " ")),
            ("state", state),
            ("code_challenge", pkce.challenge),
            ("code_challenge_method", pkce.method),
            ("audience", audience),
        ])
        self.authorizeURL = endpoint + (endpoint.contains("?") ? "&" : "?") + query
        self.redirectURI = redirectURI
        self.state = state
        self.pkce = pkce
        self.scopes = scopes
    }

    /// Reads the redirect's query: the code when `state` matches, else the reason it failed.
    public func code(fromRedirectQuery query: [String: String]) throws -> AuthorizationCode {
        guard query["state"] == state else {
            throw UnderstoryAPIError(
                code: .authorizationFailed,
                detail: "the redirect's state does not match the one sent (a stale or forged redirect); nothing was stored, run `accounts connect` again"
            )
        }
        if let error = query["error"] {
            let reason = error == "access_denied" ? "access was denied on the consent screen" : "the authorization server answered \(error)"
            throw UnderstoryAPIError(code: .authorizationFailed, apiCode: error, apiMessage: query["error_description"], detail: reason)
        }
        guard let code = query["code"], !code.isEmpty else {
            throw UnderstoryAPIError(code: .authorizationFailed, detail: "the redirect carried neither a code nor an error")
        }
        return AuthorizationCode(code: code, redirectURI: redirectURI, verifier: pkce.verifier)
    }
}

/// A code from the redirect, ready to exchange.
public struct AuthorizationCode: Sendable, CustomStringConvertible {
    let code: String
    let redirectURI: String
    let verifier: Secret

    public var description: String { "AuthorizationCode(<redacted>, redirect_uri: \(redirectURI))" }
}
