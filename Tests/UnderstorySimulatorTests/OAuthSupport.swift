import Foundation
import UnderstorySimulator

/// A verifier and its S256 challenge, computed independently of the simulator (Python:
/// `base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=")`).
enum PKCEVector {
    static let verifier = "sim-test-verifier-0123456789-abcdefghijklmnopqrstuvwxyz._~"
    static let challenge = "GwuKesed8DLGlWXinKS1VndAR6uA1Mngw71uMsdgJMo"
}

let loopbackRedirect = "http://127.0.0.1:49152/callback"

/// A `Location` header split into the URI before the query and the decoded query parameters.
struct Redirect {
    var base: String
    var query: [String: String]

    init?(_ location: String?) {
        guard let location, let components = URLComponents(string: location) else { return nil }
        var base = components
        base.query = nil
        self.base = base.string ?? ""
        var query: [String: String] = [:]
        for item in components.queryItems ?? [] { query[item.name] = item.value ?? "" }
        self.query = query
    }
}

extension SimClient {
    func authorize(
        clientID: String? = nil, redirectURI: String = loopbackRedirect, scope: String? = "openid booking.read order.read event.read experience.read offline",
        state: String? = "st-123", challenge: String? = PKCEVector.challenge, method: String? = "S256", responseType: String = "code"
    ) async throws -> HTTPResult {
        var pairs = [("response_type", responseType), ("client_id", clientID ?? self.simulator.appID), ("redirect_uri", redirectURI)]
        if let scope { pairs.append(("scope", scope)) }
        if let state { pairs.append(("state", state)) }
        if let challenge { pairs.append(("code_challenge", challenge)) }
        if let method { pairs.append(("code_challenge_method", method)) }
        let query = pairs.map { "\($0.0)=\(Self.formEncode($0.1))" }.joined(separator: "&")
        return try await self.send(.get, "/oauth2/auth?" + query)
    }

    /// Runs `/oauth2/auth` and returns the code from the redirect.
    func authorizationCode(redirectURI: String = loopbackRedirect, scope: String? = "openid booking.read order.read event.read experience.read offline")
        async throws -> String
    {
        let response = try await self.authorize(redirectURI: redirectURI, scope: scope)
        guard response.status == 302, let code = Redirect(response.header("Location"))?.query["code"] else {
            throw SimulatorError(message: "authorize failed: \(response.status) \(response.header("Location") ?? response.text)")
        }
        return code
    }

    func form(_ path: String, _ pairs: [(String, String?)]) async throws -> HTTPResult {
        let body = pairs.compactMap { pair in pair.1.map { "\(pair.0)=\(Self.formEncode($0))" } }.joined(separator: "&")
        return try await self.send(.post, path, headers: ["Content-Type": "application/x-www-form-urlencoded"], body: body)
    }

    func exchange(
        code: String, verifier: String? = PKCEVector.verifier, redirectURI: String? = loopbackRedirect, clientID: String? = nil, secret: String? = nil
    ) async throws -> HTTPResult {
        try await self.form(
            "/oauth2/token",
            [
                ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI), ("code_verifier", verifier),
                ("client_id", clientID ?? self.simulator.appID), ("client_secret", secret ?? self.simulator.appSecret),
                ("audience", self.simulator.audience),
            ]
        )
    }

    func refresh(_ token: String, scope: String? = nil) async throws -> HTTPResult {
        try await self.form(
            "/oauth2/token",
            [
                ("grant_type", "refresh_token"), ("refresh_token", token), ("scope", scope),
                ("client_id", self.simulator.appID), ("client_secret", self.simulator.appSecret),
            ]
        )
    }

    /// The whole browser flow: authorize, then exchange. Returns (access token, refresh token).
    func appTokens(scope: String? = "openid booking.read order.read event.read experience.read offline") async throws -> (access: String, refresh: String?) {
        let code = try await self.authorizationCode(scope: scope)
        let response = try await self.exchange(code: code)
        let object = try response.json()
        guard response.status == 200, let access = object["access_token"] as? String else {
            throw SimulatorError(message: "code exchange failed: \(response.status) \(response.text)")
        }
        return (access, object["refresh_token"] as? String)
    }
}

extension HTTPResult {
    /// `error` of an OAuth2 error body.
    var oauthError: String? { (try? self.json())?["error"] as? String }
}
