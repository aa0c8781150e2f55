/// A third-party app registered with the auth server: it gets tokens through the browser
/// (`authorization_code` with PKCE, then `refresh_token`), never through `client_credentials`.
public struct SimulatorApp: Sendable, Hashable {
    public var id: String
    public var secret: String
    /// Scopes the app may ask for (`openid` is always allowed; `offline` brings refresh tokens).
    public var scopes: Set<String>
    /// Registered redirect URIs. A request's `redirect_uri` must equal one of them, except loopback
    /// URIs (RFC 8252 §7.3): `http://127.0.0.1:<port>/<path>` or `http://localhost:<port>/<path>`
    /// matches a registered URI that is equal apart from the port. When empty, any `http` loopback URI
    /// (127.0.0.1, localhost, [::1]; any port, any path) is accepted and nothing else.
    public var redirectURIs: [String]

    public init(id: String, secret: String, scopes: Set<String> = SimulatorApp.defaultScopes, redirectURIs: [String] = []) {
        self.id = id
        self.secret = secret
        self.scopes = scopes
        self.redirectURIs = redirectURIs
    }

    /// Every read scope plus `offline`.
    public static let defaultScopes: Set<String> = SimulatorClient.allReadScopes.union(["offline"])
}

/// What the simulated user answers on the consent screen of `/oauth2/auth`.
public enum SimulatorConsent: Sendable, Hashable {
    /// Logs in as the test user of `companyID` (nil = the primary company) and approves.
    case approve(companyID: String?)
    /// Denies: the app gets `error=access_denied`.
    case deny
}

/// Counters of the third-party (authorization_code/refresh_token) flows, for assertions.
public struct SimulatorOAuthStatistics: Sendable, Hashable {
    /// `/oauth2/auth` requests answered with a code.
    public var authorizations = 0
    /// `/oauth2/auth` requests the simulated user denied.
    public var denials = 0
    /// Successful `authorization_code` exchanges.
    public var codeExchanges = 0
    /// `authorization_code` requests answered `invalid_grant` (wrong verifier, reused/expired/unknown code, …).
    public var codeExchangeFailures = 0
    /// Successful `refresh_token` grants (including grace-period replays).
    public var refreshes = 0
    /// Re-uses of a rotated refresh token that were rejected (each revoked its consent chain).
    public var refreshReuseRejected = 0
    /// `/oauth2/revoke` requests that revoked something, plus `revokeConsent` calls.
    public var revocations = 0

    public init() {}
}
