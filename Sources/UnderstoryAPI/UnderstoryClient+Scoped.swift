import AsyncHTTPClient
import Logging

extension UnderstoryClient {
    /// Runs `body` with a client (the configuration's own grant, `client_credentials`) on its own
    /// `HTTPClient`, configured by ``UnderstoryConfiguration/httpClientConfiguration()`` and always
    /// shut down afterwards.
    public static func withClient<T: Sendable>(
        _ configuration: UnderstoryConfiguration, logger: Logger, _ body: (UnderstoryClient) async throws -> T
    ) async throws -> T {
        try await HTTPClient.withHTTPClient(configuration: configuration.httpClientConfiguration()) { http in
            try await body(UnderstoryClient(configuration: configuration, httpClient: http, logger: logger))
        }
    }
}
