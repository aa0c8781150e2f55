import AsyncHTTPClient
import Logging
import UnderstoryAPI

/// Runs `body` with an API client on its own HTTP client, which is always shut down afterwards.
func withAPIClient<T: Sendable>(
    _ configuration: UnderstoryConfiguration, logger: Logger,
    _ body: (UnderstoryClient) async throws -> T
) async throws -> T {
    let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration.httpClientConfiguration())
    do {
        let result = try await body(UnderstoryClient(configuration: configuration, httpClient: http, logger: logger))
        try? await http.shutdown()
        return result
    } catch {
        try? await http.shutdown()
        throw error
    }
}
