import AsyncHTTPClient
import Logging
import PostgresClient
import UnderstoryAPI

extension AccountSync {
    /// Runs `body` with the connected accounts: the app's credentials (`api`), the token key, and
    /// one `HTTPClient` shared by every account's API client, always shut down afterwards.
    public static func with<T: Sendable>(
        database: PostgresConfiguration, api: UnderstoryConfiguration, key: TokenKey, logger: Logger,
        progress: (any ProgressReporter)? = nil, _ body: (AccountSync) async throws -> T
    ) async throws -> T {
        try await HTTPClient.withHTTPClient(configuration: api.httpClientConfiguration()) { http in
            try await body(AccountSync(database: database, key: key, logger: logger, progress: progress) { grant in
                UnderstoryClient(configuration: api, httpClient: http, logger: logger, grant: grant)
            })
        }
    }
}
