/// Codes, consents and refresh tokens of the third-party flows. Lives inside `Runtime`, so the
/// access tokens and the grants that issued them change under one lock.
struct OAuthState: Sendable {
    /// An authorization code handed out by `/oauth2/auth`: single use, short-lived, bound to all of this.
    struct Code: Sendable {
        var clientID: String
        var redirectURI: String
        var challenge: String
        var company: Int
        var scopes: Set<String>
        var expiresAt: ContinuousClock.Instant
    }

    /// One approval, exchanged: the root of a chain of refresh tokens and their access tokens.
    struct Consent: Sendable {
        var clientID: String
        var company: Int
        var scopes: Set<String>
        var revoked = false
    }

    /// Tokens handed out by one grant.
    struct Pair: Sendable {
        var access: String
        var refresh: String?
        var scopes: Set<String>
        var ttl: Duration
    }

    enum RefreshState: Sendable {
        case live
        /// Used once; `successor` is what that use returned (replayed within the reuse grace).
        case rotated(at: ContinuousClock.Instant, successor: Pair)
        case revoked
    }

    struct RefreshToken: Sendable {
        var consentID: Int
        var clientID: String
        var state: RefreshState
    }

    var decision: SimulatorConsent = .approve(companyID: nil)
    var codes: [String: Code] = [:]
    /// Exchanged codes → the consent they created (a second exchange revokes it, RFC 6749 §4.1.2).
    var usedCodes: [String: Int] = [:]
    var consents: [Int: Consent] = [:]
    var refreshTokens: [String: RefreshToken] = [:]
    var statistics = SimulatorOAuthStatistics()
    var nextConsentID = 1

    /// 256 random bits, URL-safe; opaque to clients.
    static func newToken(prefix: String = "") -> String {
        var system = SystemRandomNumberGenerator()
        return prefix + (0..<4).map { _ in String(system.next(), radix: 36) }.joined(separator: ".")
    }
}

extension Runtime {
    /// Drops access tokens expired for over an hour and expired codes.
    mutating func pruneTokens(now: ContinuousClock.Instant) {
        self.tokens = self.tokens.filter { $0.value.expiresAt > now - .seconds(3600) }
        self.oauth.codes = self.oauth.codes.filter { $0.value.expiresAt > now }
    }

    /// Starts a consent chain for an exchanged code.
    mutating func startConsent(clientID: String, company: Int, scopes: Set<String>) -> Int {
        let id = self.oauth.nextConsentID
        self.oauth.nextConsentID += 1
        self.oauth.consents[id] = OAuthState.Consent(clientID: clientID, company: company, scopes: scopes)
        return id
    }

    /// A new access token (and a refresh token when the consent includes `offline`) for a consent.
    mutating func issue(consentID: Int, scopes: Set<String>, now: ContinuousClock.Instant) -> OAuthState.Pair {
        let consent = self.oauth.consents[consentID]!
        let ttl = self.faults.tokenTTL
        self.pruneTokens(now: now)
        let access = OAuthState.newToken()
        self.tokens[access] = IssuedToken(
            clientID: consent.clientID, scopes: scopes, expiresAt: now + ttl, company: consent.company, consentID: consentID
        )
        var refresh: String?
        if consent.scopes.contains("offline") || consent.scopes.contains("offline_access") {
            let token = OAuthState.newToken(prefix: "rt.")
            self.oauth.refreshTokens[token] = OAuthState.RefreshToken(consentID: consentID, clientID: consent.clientID, state: .live)
            refresh = token
        }
        return OAuthState.Pair(access: access, refresh: refresh, scopes: scopes, ttl: ttl)
    }

    /// Revokes a consent: every refresh token of its chain and every access token it issued.
    mutating func revokeConsent(_ id: Int) {
        self.oauth.consents[id]?.revoked = true
        for (token, record) in self.oauth.refreshTokens where record.consentID == id {
            self.oauth.refreshTokens[token]?.state = .revoked
        }
        self.tokens = self.tokens.filter { $0.value.consentID != id }
    }
}
