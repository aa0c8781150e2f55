import Foundation
import Logging
import NIOCore

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

    /// The refresh margin for a token living `lifetime`: `min(5 min, 10 % of lifetime)`.
    public static func refreshMargin(lifetime: Duration) -> Duration {
        min(.seconds(300), lifetime / 10)
    }
}

/// Obtains and caches access tokens with the `client_credentials` grant.
///
/// - The token endpoint is found by OIDC discovery at `<authURL>/.well-known/openid-configuration`
///   (cached for the life of the source; `<authURL>/oauth2/token` if discovery answers 404).
/// - A token is reused until ``AccessToken/refreshAt`` (a margin before `expires_in` runs out).
/// - Concurrent callers share one in-flight token request.
/// - ``invalidate(_:)`` drops a token the API answered 401 to.
/// - Failures: `invalid_client` → `.authenticationFailed` ("check UNDERSTORY_CLIENT_ID/UNDERSTORY_CLIENT_SECRET"),
///   `invalid_scope` → `.forbidden`, other OAuth errors → `.badRequest`; all carry `error` and
///   `error_description`, never the secret.
public actor TokenSource {
    private let configuration: UnderstoryConfiguration
    private let executor: HTTPExecutor
    private var tokenEndpoint: String?
    private var current: AccessToken?
    private var inFlight: Task<AccessToken, any Error>?
    private var inFlightID = 0

    init(configuration: UnderstoryConfiguration, executor: HTTPExecutor) {
        self.configuration = configuration
        self.executor = executor
    }

    /// The scopes of the last token fetched (`nil` before the first fetch or if the server omits `scope`).
    public var grantedScopes: [String]? { current?.grantedScopes }

    /// A valid token, fetched if none is cached or the cached one is due for refresh.
    public func token(logger: Logger) async throws -> AccessToken {
        if let current, executor.clock.now() < current.refreshAt {
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

    /// The token endpoint, by OIDC discovery (cached).
    public func discoverTokenEndpoint(logger: Logger) async throws -> String {
        if let tokenEndpoint { return tokenEndpoint }
        let path = "/.well-known/openid-configuration"
        let spec = RequestSpec(
            url: configuration.authURL + path, path: path, resource: "discovery",
            authorized: false, returnsErrorResponses: true
        )
        let response = try await executor.send(spec, tokens: nil, logger: logger)
        let endpoint: String
        switch response.status {
        case 200..<300:
            struct Discovery: Decodable {
                var token_endpoint: String?
            }
            guard let document = try? JSONDecoder().decode(Discovery.self, from: Data(response.body.readableBytesView)),
                let found = document.token_endpoint, !found.isEmpty
            else {
                throw UnderstoryAPIError(
                    code: .invalidResponse, status: response.status, path: path, resource: "discovery",
                    detail: "the OIDC discovery document has no token_endpoint"
                )
            }
            endpoint = found
        case 404:
            endpoint = configuration.authURL + "/oauth2/token"
            logger.warning("OIDC discovery answered 404; using the documented token endpoint", metadata: ["token_endpoint": "\(endpoint)"])
        default:
            throw executor.mapError(response, spec: spec, attempts: 1, code: nil)
        }
        tokenEndpoint = endpoint
        return endpoint
    }

    private func fetchToken(logger: Logger) async throws -> AccessToken {
        let endpoint = try await discoverTokenEndpoint(logger: logger)
        let path = URL(string: endpoint)?.path ?? "/oauth2/token"
        let form = PercentEncoding.formEncode([
            ("grant_type", "client_credentials"),
            ("client_id", configuration.clientID),
            ("client_secret", configuration.clientSecret.revealed),
            ("audience", configuration.audience),
            ("scope", configuration.scopes.joined(separator: " ")),
        ])
        let spec = RequestSpec(
            isPOST: true, url: endpoint, path: path,
            headers: [("Content-Type", "application/x-www-form-urlencoded")],
            body: ByteBuffer(string: form), resource: "token", authorized: false, returnsErrorResponses: true
        )
        let started = executor.clock.now()
        let response = try await executor.send(spec, tokens: nil, logger: logger)
        guard (200..<300).contains(response.status) else {
            throw tokenError(response, path: path)
        }
        struct TokenResponse: Decodable {
            var access_token: String
            var expires_in: Int64?
            var scope: String?

            enum CodingKeys: String, CodingKey { case access_token, expires_in, scope }

            init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: CodingKeys.self)
                access_token = try container.decode(String.self, forKey: .access_token)
                if let number = container.decodeLeniently(Int64.self, forKey: .expires_in) {
                    expires_in = number
                } else if let text = container.decodeLeniently(String.self, forKey: .expires_in) {
                    expires_in = Int64(text)
                }
                scope = container.decodeLeniently(String.self, forKey: .scope)
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
            metadata: ["expires_in": "\(decoded.expires_in.map(String.init) ?? "absent")", "scope": "\(decoded.scope ?? "")"]
        )
        return token
    }

    private func tokenError(_ response: HTTPResponseData, path: String) -> UnderstoryAPIError {
        let body = APIErrorBody.parse(response.body)
        var error = UnderstoryAPIError(
            code: .badRequest, status: response.status, path: path,
            apiCode: body.code, apiMessage: body.message, resource: "token"
        )
        switch body.code {
        case "invalid_client", "unauthorized_client", "access_denied":
            error.code = .authenticationFailed
        case "invalid_scope":
            error.code = .forbidden
            error.detail = "the key may not have the requested scopes (\(configuration.scopes.joined(separator: " "))); check UNDERSTORY_SCOPES and the key in Backoffice"
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
        return error.scrubbing(configuration.clientSecret.revealed)
    }
}
