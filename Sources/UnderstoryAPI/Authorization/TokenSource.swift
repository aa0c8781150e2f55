import Foundation
import Logging
import NIOCore
import URLEncoding

/// An OAuth2 access token. Its value never prints (`description` is redacted).
public struct AccessToken: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The bearer token. Internal: only the HTTP layer sends it.
    let value: String
    /// When the server says it expires (request start + `expires_in`).
    public let expiresAt: ContinuousClock.Instant
    /// When the client stops using it: `expiresAt − min(5 min, 10 % of the lifetime)`.
    public let refreshAt: ContinuousClock.Instant
    /// The scopes granted, from the token response's `scope` field (`nil` if the server omitted it).
    public let grantedScopes: [String]?

    public var description: String { "AccessToken(<redacted>, scopes: \(grantedScopes?.joined(separator: " ") ?? "unknown"))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["grantedScopes": grantedScopes as Any], displayStyle: .struct) }

    init(value: String, expiresAt: ContinuousClock.Instant, refreshAt: ContinuousClock.Instant, grantedScopes: [String]?) {
        self.value = value
        self.expiresAt = expiresAt
        self.refreshAt = refreshAt
        self.grantedScopes = grantedScopes
    }

    /// A token living `lifetime` from `now` (refreshed a margin before it expires).
    public init(value: String, lifetime: Duration, grantedScopes: [String]?, now: ContinuousClock.Instant = .now) {
        self.value = value
        self.expiresAt = now + lifetime
        self.refreshAt = now + lifetime - Self.refreshMargin(lifetime: lifetime)
        self.grantedScopes = grantedScopes
    }

    /// The refresh margin for a token living `lifetime`: `min(5 min, 10 % of lifetime)`.
    public static func refreshMargin(lifetime: Duration) -> Duration {
        min(.seconds(300), lifetime / 10)
    }
}

/// Obtains and caches access tokens, with the client's ``OAuthGrant``.
///
/// - Endpoints are found by OIDC discovery at `<authURL>/.well-known/openid-configuration`
///   (cached for the life of the source; the documented `<authURL>/oauth2/...` paths if discovery
///   answers 404).
/// - A token is reused until ``AccessToken/refreshAt`` (a margin before `expires_in` runs out).
/// - Concurrent callers share one in-flight token request.
/// - ``invalidate(_:)`` drops a token the API answered 401 to.
/// - With ``OAuthGrant/refreshToken(_:)`` each new access token comes from a refresh grant run
///   inside ``RefreshTokenStore/rotate(_:)``, so the rotated refresh token is stored before the
///   access token is handed out.
/// - Failures: `invalid_client` → `.authenticationFailed` ("check UNDERSTORY_CLIENT_ID/UNDERSTORY_CLIENT_SECRET"),
///   `invalid_scope` → `.forbidden`, `invalid_grant` on a refresh → `.reconnectRequired`, on a code
///   exchange → `.authorizationFailed`, other OAuth errors → `.badRequest`; all carry `error` and
///   `error_description`, never the secret or a token.
public actor TokenSource {
    private let configuration: UnderstoryConfiguration
    private let executor: HTTPExecutor
    private let grant: OAuthGrant
    private var discovery: OIDCDiscovery?
    private var current: AccessToken?
    private var inFlight: Task<AccessToken, any Error>?
    private var inFlightID = 0

    init(configuration: UnderstoryConfiguration, executor: HTTPExecutor, grant: OAuthGrant = .clientCredentials) {
        self.configuration = configuration
        self.executor = executor
        self.grant = grant
    }

    /// The scopes of the last token fetched (`nil` before the first fetch or if the server omits `scope`).
    public var grantedScopes: [String]? { current?.grantedScopes }

    /// Scopes the token endpoint refused (`invalid_scope`), left out of every later request.
    public private(set) var refusedScopes: [String] = []
    /// What the client-credentials grant asks for after a refusal (nil: `configuration.scopes`).
    private var narrowedScopes: [String]?

    /// Whether the key lacks `scope`: true when the token endpoint refused it or the token lists
    /// other scopes but not it, false when the token lists it, nil when nobody said.
    public func lacks(_ scope: String) -> Bool? {
        if refusedScopes.contains(scope) { return true }
        return grantedScopes.map { !$0.contains(scope) }
    }

    /// A valid token, fetched if none is cached or the cached one is due for refresh.
    public func token(logger: Logger) async throws -> AccessToken {
        if let current, executor.clock.now < current.refreshAt {
            return current
        }
        if let inFlight {
            return try await inFlight.value
        }
        inFlightID += 1
        let id = inFlightID
        let task = Task { try await self.fetchToken(logger: logger) }
        inFlight = task
        do {
            let token = try await task.value
            if inFlightID == id {
                current = token
                inFlight = nil
            }
            return token
        } catch {
            if inFlightID == id { inFlight = nil }
            throw error
        }
    }

    /// Drops `token` if it is the cached one, so the next ``token(logger:)`` fetches a new one.
    public func invalidate(_ token: AccessToken) {
        if current?.value == token.value {
            current = nil
        }
    }

    /// Uses `token` (from a code exchange) until it is due for refresh.
    public func adopt(_ token: AccessToken) {
        current = token
    }

    /// The token endpoint, by OIDC discovery (cached).
    public func discoverTokenEndpoint(logger: Logger) async throws -> String {
        try await discover(logger: logger).tokenEndpoint
    }

    /// The issuer's endpoints, by OIDC discovery (cached).
    public func discover(logger: Logger) async throws -> OIDCDiscovery {
        if let discovery { return discovery }
        let path = "/.well-known/openid-configuration"
        let spec = RequestSpec(
            url: configuration.authURL + path, path: path, resource: "discovery",
            authorized: false, returnsErrorResponses: true
        )
        let response = try await executor.send(spec, tokens: nil, logger: logger)
        let found: OIDCDiscovery
        switch response.status {
        case 200..<300:
            guard let document = try? JSONDecoder().decode(OIDCDiscovery.self, from: Data(response.body.readableBytesView)),
                !document.tokenEndpoint.isEmpty
            else {
                throw UnderstoryAPIError(
                    code: .invalidResponse, status: response.status, path: path, resource: "discovery",
                    detail: "the OIDC discovery document has no token_endpoint"
                )
            }
            found = document
        case 404:
            found = .documented(authURL: configuration.authURL)
            logger.warning("OIDC discovery answered 404; using the documented endpoints", metadata: ["token_endpoint": "\(found.tokenEndpoint)"])
        default:
            throw executor.mapError(response, spec: spec, attempts: 1)
        }
        discovery = found
        return found
    }

    private func fetchToken(logger: Logger) async throws -> AccessToken {
        switch grant {
        case .clientCredentials:
            do {
                return try await clientCredentials(scopes: narrowedScopes ?? configuration.scopes, logger: logger)
            } catch let error as UnderstoryAPIError where error.apiCode == "invalid_scope" && narrowedScopes == nil {
                // Once: ask again without what was refused, and say so; a second refusal is final.
                let narrowed = Self.narrow(configuration.scopes, refusal: error.apiMessage, fallback: configuration.fallbackScopes)
                guard narrowed != configuration.scopes, !narrowed.isEmpty else { throw error }
                narrowedScopes = narrowed
                refusedScopes = configuration.scopes.filter { !narrowed.contains($0) }
                logger.notice(
                    "the token endpoint refused some scopes; asking again without them",
                    metadata: ["refused": "\(refusedScopes.joined(separator: " "))", "requested": "\(narrowed.joined(separator: " "))"]
                )
                return try await clientCredentials(scopes: narrowed, logger: logger)
            }
        case .refreshToken(let store):
            let response = try await store.rotate { refreshToken in
                let form = [
                    ("grant_type", "refresh_token"),
                    ("refresh_token", refreshToken.revealed),
                    ("client_id", self.configuration.clientID),
                    ("client_secret", self.configuration.clientSecret.revealed),
                ]
                return try await self.requestToken(form, grantType: "refresh_token", hiding: [refreshToken.revealed], logger: logger)
            }
            return response.accessToken
        }
    }

    private func clientCredentials(scopes: [String], logger: Logger) async throws -> AccessToken {
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", configuration.clientID),
            ("client_secret", configuration.clientSecret.revealed),
            ("audience", configuration.audience),
            ("scope", scopes.joined(separator: " ")),
        ]
        return try await requestToken(form, grantType: "client_credentials", logger: logger).accessToken
    }

    /// The scopes to ask for after `invalid_scope`: `requested` without the ones `refusal`
    /// (`error_description`) names as whole words; when it names none, `fallback` (in the order
    /// requested, `openid` kept).
    static func narrow(_ requested: [String], refusal: String?, fallback: [String]) -> [String] {
        let words = Set((refusal ?? "").split { $0.isWhitespace || ",;:()[]\"'".contains($0) }.map(String.init))
        let named = requested.filter { $0 != "openid" && words.contains($0) }
        if !named.isEmpty { return requested.filter { !named.contains($0) } }
        return requested.filter { $0 == "openid" || fallback.contains($0) }
    }

    /// Exchanges an authorization code (with its PKCE verifier) for tokens, and uses the access token.
    public func exchange(_ code: AuthorizationCode, logger: Logger) async throws -> TokenGrantResponse {
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code.code),
            ("redirect_uri", code.redirectURI),
            ("code_verifier", code.verifier.revealed),
            ("client_id", configuration.clientID),
            ("client_secret", configuration.clientSecret.revealed),
            ("audience", configuration.audience),
        ]
        let response = try await requestToken(form, grantType: "authorization_code", hiding: [code.code, code.verifier.revealed], logger: logger)
        current = response.accessToken
        return response
    }

    /// Revokes `refreshToken` at the issuer's RFC 7009 endpoint. Returns `false` when the issuer
    /// has no revocation endpoint.
    public func revoke(refreshToken: Secret, logger: Logger) async throws -> Bool {
        guard let endpoint = try await discover(logger: logger).revocationEndpoint, !endpoint.isEmpty else { return false }
        let fields = [
            ("token", refreshToken.revealed),
            ("token_type_hint", "refresh_token"),
            ("client_id", configuration.clientID),
            ("client_secret", configuration.clientSecret.revealed),
        ]
        _ = try await postForm(fields, to: endpoint, resource: "revoke", grantType: "revoke", hiding: [refreshToken.revealed], logger: logger)
        return true
    }

    /// POSTs `fields` form-encoded to an issuer endpoint (client_secret_post); a non-2xx answer is
    /// an OAuth error with `hiding` (codes, tokens) and the secret scrubbed from it.
    private func postForm(
        _ fields: [(String, String)], to endpoint: String, resource: String, grantType: String, hiding: [String], logger: Logger
    ) async throws -> HTTPResponseData {
        let path = URL(string: endpoint)?.path ?? endpoint
        let spec = RequestSpec(
            method: .POST, url: endpoint, path: path,
            headers: [("Content-Type", "application/x-www-form-urlencoded")],
            body: ByteBuffer(string: PercentEncoding.formEncode(fields)), resource: resource, authorized: false,
            returnsErrorResponses: true
        )
        let response = try await executor.send(spec, tokens: nil, logger: logger)
        guard (200..<300).contains(response.status) else {
            throw tokenError(response, path: path, grantType: grantType, hiding: hiding)
        }
        return response
    }

    /// Posts `form` to the token endpoint and decodes the answer. `hiding` lists values (codes,
    /// refresh tokens) that must never appear in an error.
    private func requestToken(
        _ fields: [(String, String)], grantType: String, hiding: [String] = [], logger: Logger
    ) async throws -> TokenGrantResponse {
        let endpoint = try await discoverTokenEndpoint(logger: logger)
        let path = URL(string: endpoint)?.path ?? endpoint
        let started = executor.clock.now
        let response = try await postForm(fields, to: endpoint, resource: "token", grantType: grantType, hiding: hiding, logger: logger)
        struct TokenResponse: Decodable {
            var access_token: String
            var expires_in: Int64?
            var scope: String?
            var refresh_token: String?

            enum CodingKeys: String, CodingKey { case access_token, expires_in, scope, refresh_token }

            init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: CodingKeys.self)
                access_token = try container.decode(String.self, forKey: .access_token)
                if let number = container.decodeLeniently(Int64.self, forKey: .expires_in) {
                    expires_in = number
                } else if let text = container.decodeLeniently(String.self, forKey: .expires_in) {
                    expires_in = Int64(text)
                }
                scope = container.decodeLeniently(String.self, forKey: .scope)
                refresh_token = container.decodeLeniently(String.self, forKey: .refresh_token)
            }
        }
        let decoded: TokenResponse
        do {
            decoded = try JSONDecoder().decode(TokenResponse.self, from: Data(response.body.readableBytesView))
        } catch {
            throw UnderstoryAPIError(
                code: .invalidResponse, status: response.status, path: path, resource: "token",
                detail: "the token response has no access_token"
            )
        }
        // Without expires_in, assume a short life so a stale token is not kept for long.
        let lifetime = Duration.seconds(max(1, decoded.expires_in ?? 300))
        let expiresAt = started + lifetime
        let token = AccessToken(
            value: decoded.access_token,
            expiresAt: expiresAt,
            refreshAt: expiresAt - AccessToken.refreshMargin(lifetime: lifetime),
            grantedScopes: decoded.scope.map(UnderstoryConfiguration.parseScopes)
        )
        executor.statistics.update { $0.tokensFetched += 1 }
        logger.debug(
            "fetched access token",
            metadata: [
                "grant_type": "\(grantType)", "expires_in": "\(decoded.expires_in.map(String.init) ?? "absent")",
                "scope": "\(decoded.scope ?? "")", "refresh_token": "\(decoded.refresh_token == nil ? "none" : "rotated")",
            ]
        )
        return TokenGrantResponse(
            accessToken: token,
            refreshToken: decoded.refresh_token.flatMap { $0.isEmpty ? nil : Secret($0) },
            expiresIn: decoded.expires_in
        )
    }

    private func tokenError(_ response: HTTPResponseData, path: String, grantType: String, hiding: [String]) -> UnderstoryAPIError {
        let body = APIErrorBody.parse(response.body)
        var error = UnderstoryAPIError(
            code: .badRequest, status: response.status, path: path,
            apiCode: body.code, apiMessage: body.message, resource: grantType == "revoke" ? "revoke" : "token"
        )
        switch body.code {
        case "invalid_client", "unauthorized_client", "access_denied":
            error.code = .authenticationFailed
        case "invalid_scope":
            error.code = .forbidden
            error.detail = "the key may not have the requested scopes (\((narrowedScopes ?? configuration.scopes).joined(separator: " "))); check UNDERSTORY_SCOPES and the key in Backoffice"
        case "invalid_grant" where grantType == "refresh_token":
            error.code = .reconnectRequired
            error.detail = "consent was revoked, or the refresh token was already used"
        case "invalid_grant" where grantType == "authorization_code":
            error.code = .authorizationFailed
            error.detail = "the authorization code was rejected (expired, already used, redirect URI or PKCE verifier mismatch); run `accounts connect` again"
        case "invalid_request", "unsupported_grant_type", "invalid_grant":
            error.code = .badRequest
            error.detail = "the token request was rejected (check UNDERSTORY_AUDIENCE and UNDERSTORY_AUTH_URL)"
        default:
            if response.status == 401 {
                error.code = .authenticationFailed
            } else if response.status == 403 {
                error.code = .forbidden
            } else if response.status >= 500 {
                error.code = .serverError
            } else {
                error.code = .unexpectedStatus
            }
        }
        return ([configuration.clientSecret.revealed] + hiding).reduce(error) { $0.scrubbing($1) }
    }
}
