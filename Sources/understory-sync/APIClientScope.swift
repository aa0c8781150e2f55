import AsyncHTTPClient
import Logging
import UnderstoryAPI

/// Runs `body` with an HTTP client configured for the API, which is always shut down afterwards.
func withHTTPClient<T: Sendable>(_ configuration: UnderstoryConfiguration, _ body: (HTTPClient) async throws -> T) async throws -> T {
    let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration.httpClientConfiguration())
    do {
        let result = try await body(http)
        try? await http.shutdown()
        return result
    } catch {
        try? await http.shutdown()
        throw error
    }
}

/// Runs `body` with an API client (integration key, `client_credentials`) on its own HTTP client.
func withAPIClient<T: Sendable>(
    _ configuration: UnderstoryConfiguration, logger: Logger,
    _ body: (UnderstoryClient) async throws -> T
) async throws -> T {
    try await withHTTPClient(configuration) { http in
        try await body(UnderstoryClient(configuration: configuration, httpClient: http, logger: logger))
    }
}
