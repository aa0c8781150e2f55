import AsyncHTTPClient
import Logging
import UnderstoryAPI

/// Runs `body` with an HTTP client configured for the API, which is always shut down afterwards.
func withHTTPClient<T: Sendable>(_ configuration: UnderstoryConfiguration, _ body: (HTTPClient) async throws -> T) async throws -> T {
    try await HTTPClient.withHTTPClient(configuration: configuration.httpClientConfiguration()) { http in
        try await body(http)
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
