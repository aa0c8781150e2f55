import Crypto
import Foundation
import Hummingbird

/// Who authenticated at the token or revocation endpoint.
enum OAuthCaller: Sendable {
    case integrationKey(SimulatorClient)
    case app(SimulatorApp)
}

/// PKCE (RFC 7636), S256 only.
enum PKCE {
    /// 43…128 characters of `[A-Za-z0-9-._~]` (the verifier and, at 43, an S256 challenge).
    static func isWellFormed(_ text: String, exactly count: Int? = nil) -> Bool {
        let length = text.utf8.count
        if let count { guard length == count else { return false } } else { guard (43...128).contains(length) else { return false } }
        return text.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
                || c == UInt8(ascii: "-") || c == UInt8(ascii: ".") || c == UInt8(ascii: "_") || c == UInt8(ascii: "~")
        }
    }

    /// BASE64URL-ENCODE(SHA256(ASCII(verifier))), without padding.
    static func challenge(for verifier: String) -> String {
        Data(SHA256.hash(data: Data(verifier.utf8))).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

/// `grant_type=authorization_code` and `grant_type=refresh_token` for third-party apps.
extension SimulatorResponder {
    func authorizationCodeGrant(app: SimulatorApp, form: [String: String]) -> Response {
        if let failure = self.checkAudience(form) { return failure }
        guard let presented = form["code"], !presented.isEmpty else {
            return Reply.oauth(.badRequest, "invalid_request", "code is required")
        }
        let now = self.simulator.now
        func fail(_ description: String) -> Response {
            self.simulator.runtime.withLock { $0.oauth.statistics.codeExchangeFailures += 1 }
            return Reply.oauth(.badRequest, "invalid_grant", description)
        }
        // Any presentation by its own client uses the code up, right or wrong.
        enum Lookup { case found(OAuthState.Code), reused, unknown }
        let lookup: Lookup = self.simulator.runtime.withLock { runtime in
            if let code = runtime.oauth.codes[presented], code.clientID == app.id {
                runtime.oauth.codes[presented] = nil
                runtime.oauth.usedCodes[presented] = 0
                return .found(code)
            }
            if let consentID = runtime.oauth.usedCodes[presented] {
                if consentID != 0 { runtime.revokeConsent(consentID) }
                return .reused
            }
            return .unknown
        }
        let code: OAuthState.Code
        switch lookup {
        case .found(let found): code = found
        case .reused: return fail("the authorization code was already used; the tokens issued for it are revoked")
        case .unknown: return fail("unknown authorization code, or issued to another client")
        }
        guard code.expiresAt > now else { return fail("the authorization code has expired") }
        guard let redirect = form["redirect_uri"], redirect == code.redirectURI else {
            return fail("redirect_uri must equal the one sent to the authorization endpoint")
        }
        guard let verifier = form["code_verifier"], PKCE.isWellFormed(verifier) else {
            return fail("code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~")
        }
        guard PKCE.challenge(for: verifier) == code.challenge else {
            return fail("the code_verifier does not match the code_challenge")
        }
        let pair = self.simulator.runtime.withLock { runtime in
            let consentID = runtime.startConsent(clientID: app.id, company: code.company, scopes: code.scopes)
            runtime.oauth.usedCodes[presented] = consentID
            runtime.oauth.statistics.codeExchanges += 1
            return runtime.issue(consentID: consentID, scopes: code.scopes, now: now)
        }
        return Reply.token(access: pair.access, ttl: pair.ttl, scopes: pair.scopes, refresh: pair.refresh)
    }

    func refreshTokenGrant(app: SimulatorApp, form: [String: String]) -> Response {
        guard let presented = form["refresh_token"], !presented.isEmpty else {
            return Reply.oauth(.badRequest, "invalid_request", "refresh_token is required")
        }
        if let audience = form["audience"], !audience.isEmpty, audience != self.simulator.configuration.audience {
            return Reply.oauth(.badRequest, "invalid_request", "unknown audience; expected \(self.simulator.configuration.audience)")
        }
        let requested = Set((form["scope"] ?? "").split(separator: " ").map(String.init))
        let now = self.simulator.now
        enum Outcome {
            case issued(OAuthState.Pair)
            case failure(String, String)
        }
        let outcome: Outcome = self.simulator.runtime.withLock { runtime in
            guard let record = runtime.oauth.refreshTokens[presented], record.clientID == app.id,
                let consent = runtime.oauth.consents[record.consentID]
            else {
                return .failure("invalid_grant", "unknown refresh token, or issued to another client")
            }
            if consent.revoked { return .failure("invalid_grant", "the refresh token has been revoked") }
            switch record.state {
            case .revoked:
                return .failure("invalid_grant", "the refresh token has been revoked")
            case .rotated(let at, let successor):
                let grace = runtime.faults.refreshTokenReuseGrace
                if grace > .zero, now - at <= grace, let next = successor.refresh,
                    case .live? = runtime.oauth.refreshTokens[next]?.state, runtime.tokens[successor.access] != nil
                {
                    runtime.oauth.statistics.refreshes += 1
                    return .issued(successor)
                }
                runtime.oauth.statistics.refreshReuseRejected += 1
                runtime.revokeConsent(record.consentID)
                return .failure("invalid_grant", "the refresh token was already used; the whole grant is revoked")
            case .live:
                let scopes = requested.isEmpty ? consent.scopes : requested
                let refused = scopes.subtracting(consent.scopes)
                guard refused.isEmpty else {
                    return .failure("invalid_scope", "scope not granted originally: \(refused.sorted().joined(separator: " "))")
                }
                let pair = runtime.issue(consentID: record.consentID, scopes: scopes, now: now)
                runtime.oauth.refreshTokens[presented]?.state = .rotated(at: now, successor: pair)
                runtime.oauth.statistics.refreshes += 1
                return .issued(pair)
            }
        }
        switch outcome {
        case .issued(let pair):
            return Reply.token(access: pair.access, ttl: pair.ttl, scopes: pair.scopes, refresh: pair.refresh)
        case .failure(let error, let description):
            return Reply.oauth(.badRequest, error, description)
        }
    }

    /// `POST /oauth2/revoke` (RFC 7009): 200 for any authenticated client, whatever the token. A
    /// refresh token revokes its whole consent chain; an access token only itself. Tokens of other
    /// clients are left alone.
    func revoke(_ request: Request) async -> Response {
        let form: [String: String]
        switch await self.oauthForm(request) {
        case .success(let parsed): form = parsed
        case .failure(let failure): return failure.response
        }
        let clientID: String
        switch self.authenticateClient(request, form: form) {
        case .success(.integrationKey(let key)): clientID = key.id
        case .success(.app(let app)): clientID = app.id
        case .failure(let failure): return failure.response
        }
        guard let token = form["token"], !token.isEmpty else {
            return Reply.oauth(.badRequest, "invalid_request", "token is required")
        }
        self.simulator.runtime.withLock { runtime in
            if let record = runtime.oauth.refreshTokens[token], record.clientID == clientID {
                runtime.revokeConsent(record.consentID)
                runtime.oauth.statistics.revocations += 1
            } else if let access = runtime.tokens[token], access.clientID == clientID {
                runtime.tokens[token] = nil
                runtime.oauth.statistics.revocations += 1
            }
        }
        var response = Reply.json(.ok, Array("{}".utf8))
        response.headers[.cacheControl] = "no-store"
        return response
    }
}
