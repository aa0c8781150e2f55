import AsyncHTTPClient
import UnderstoryAPI
import UnderstorySimulator

extension Simulator {
    /// The variables that point `understory-sync` (or ``UnderstoryConfiguration/init(environment:version:)``)
    /// at this simulator, with `clientID` and `secret` (default: its first client's). The one copy.
    public func environment(clientID: String? = nil, secret: String? = nil) -> [String: String] {
        [
            "UNDERSTORY_API_URL": baseURL,
            "UNDERSTORY_AUTH_URL": baseURL,
            "UNDERSTORY_CLIENT_ID": clientID ?? self.clientID,
            "UNDERSTORY_CLIENT_SECRET": secret ?? clientSecret,
        ]
    }
}

extension UnderstoryConfiguration {
    /// How long a test lets a connect, a read or a request take: a bound against a hang, never a
    /// measurement (generous, so a test starved by others running in parallel on two cores is not
    /// mistaken for a dead server). Tests of timeouts set their own.
    public static let testTimeouts = Timeouts(connect: .seconds(120), read: .seconds(120), request: .seconds(120))

    /// Points at `simulator` with `clientID` and `secret` (default: its first client's), as the
    /// binary would read them from ``Simulator/environment(clientID:secret:)``. The one factory
    /// every test target uses.
    public static func forSimulator(
        _ simulator: Simulator, clientID: String? = nil, secret: String? = nil, scopes: [String]? = nil,
        rateLimitWait: Duration? = nil, retry: RetryPolicy = RetryPolicy()
    ) throws -> UnderstoryConfiguration {
        var configuration = try UnderstoryConfiguration(environment: simulator.environment(clientID: clientID, secret: secret))
        if let scopes { configuration.scopes = scopes }
        if let rateLimitWait { configuration.rateLimitWait = rateLimitWait }
        configuration.retry = retry
        configuration.timeouts = testTimeouts
        return configuration
    }
}

/// Runs `body` with an `HTTPClient` (configured for `configuration` when given) that is always
/// shut down afterwards, whether `body` returns or throws.
public func withHTTPClient<T: Sendable>(
    _ configuration: UnderstoryConfiguration? = nil, redirects: Bool = true, _ body: (HTTPClient) async throws -> T
) async throws -> T {
    var http = configuration?.httpClientConfiguration() ?? HTTPClient.Configuration()
    if !redirects { http.redirectConfiguration = .disallow }
    return try await HTTPClient.withHTTPClient(configuration: http) { try await body($0) }
}
