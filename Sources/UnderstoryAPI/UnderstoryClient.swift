import AsyncHTTPClient
import Logging
import NIOCore
import TimeSource
import URLEncoding

/// The Understory API client: token source, retries and paging over one injected `HTTPClient`.
///
/// ```swift
/// let configuration = try UnderstoryConfiguration(environment: environment)
/// try await UnderstoryClient.withClient(configuration, logger: logger) { client in   // its own HTTPClient, always shut down
///     for try await page in client.orders(ListQuery(limit: 100, sort: .updatedDescending)) {
///         for order in page.items { upsert(order.model, raw: order.raw) }
///     }
/// }
/// ```
///
/// A value type: copies share the token cache and the statistics. The caller owns the
/// `HTTPClient`'s lifecycle (``withClient(_:logger:_:)`` owns one for you).
public struct UnderstoryClient: Sendable {
    public let configuration: UnderstoryConfiguration
    /// The token source (shared by copies of this client).
    public let tokens: TokenSource
    let executor: HTTPExecutor
    let logger: Logger

    /// - Parameters:
    ///   - configuration: settings; see ``UnderstoryConfiguration/init(environment:version:)``.
    ///   - httpClient: used for every request; its lifecycle belongs to the caller. Give it
    ///     ``UnderstoryConfiguration/httpClientConfiguration()`` for the connect/read timeouts.
    ///   - logger: default logger (each call may pass its own). Never receives secrets or tokens.
    ///   - clock: time source for waits, budgets and token expiry (inject a virtual one in tests).
    ///   - grant: how access tokens are obtained: the integration key itself (default), or a
    ///     connected account's refresh token (third-party apps; the key is then the app's).
    public init(
        configuration: UnderstoryConfiguration,
        httpClient: HTTPClient,
        logger: Logger,
        clock: any TimeSource = .system,
        grant: OAuthGrant = .clientCredentials
    ) {
        self.configuration = configuration
        self.executor = HTTPExecutor(
            configuration: configuration, httpClient: httpClient, clock: clock, statistics: StatisticsBox(),
            gate: RateLimitGate(adaptiveRate: configuration.adaptiveRate)
        )
        self.tokens = TokenSource(configuration: configuration, executor: executor, grant: grant)
        self.logger = logger
    }

    /// Totals since this client was made (requests, retries, 429s, pages, …).
    public var statistics: RequestStatistics { executor.statistics.snapshot }

    /// The injected time source (its sleeps wait out retries; they end early when the task is cancelled).
    public var clock: any TimeSource { executor.clock }

    // MARK: - Scopes (for `check`)

    /// What a `check` command reports: scopes requested, granted (as the token response says) and missing.
    public struct ScopeReport: Sendable, Hashable {
        public var requested: [String]
        /// `nil` when the token endpoint did not say which scopes it granted.
        public var granted: [String]?
        /// Requested scopes that were not granted (empty when `granted` is unknown).
        public var missing: [String]
    }

    /// Fetches a token (verifying the credentials) and compares the granted scopes with the requested ones.
    public func checkScopes(logger: Logger? = nil) async throws -> ScopeReport {
        let token = try await tokens.token(logger: logger ?? self.logger)
        let requested = configuration.scopes
        let granted = token.grantedScopes
        let missing = granted.map { granted in requested.filter { !granted.contains($0) } } ?? []
        return ScopeReport(requested: requested, granted: granted, missing: missing)
    }

    // MARK: - Building requests

    func makeSpec(
        path: String,
        query: [(String, String)],
        resource: String,
        scope: String?,
        page: Int? = nil,
        cursor: String? = nil,
        acceptLanguage: String? = nil
    ) -> RequestSpec {
        var pairs = query
        if let cursor { pairs.append(("cursor", cursor)) }
        let queryString = pairs.isEmpty ? "" : "?" + PercentEncoding.formEncode(pairs)
        var spec = RequestSpec(url: configuration.apiURL + path + queryString, path: path)
        spec.resource = resource
        spec.page = page
        spec.carriesCursor = cursor != nil
        spec.requiredScope = scope
        if let acceptLanguage { spec.headers.append(("Accept-Language", acceptLanguage)) }
        return spec
    }

    func fetchPage<Item: APIModel>(
        _ type: Item.Type,
        request: ListRequest,
        cursor: String?,
        number: Int,
        logger: Logger?
    ) async throws -> Page<Item> {
        var logger = logger ?? self.logger
        logger[metadataKey: "resource"] = "\(request.resource)"
        logger[metadataKey: "page"] = "\(number)"
        let spec = makeSpec(
            path: request.path, query: request.query, resource: request.resource, scope: request.scope,
            page: number, cursor: cursor, acceptLanguage: request.acceptLanguage
        )
        let response = try await executor.send(spec, tokens: tokens, logger: logger)
        let decoded = try PageDecoding.decodeList(
            Item.self, from: response.body,
            context: .init(resource: request.resource, path: request.path, page: number)
        )
        executor.statistics.update {
            $0.pages += 1
            $0.items += decoded.items.count
        }
        logger.debug("page", metadata: ["items": "\(decoded.items.count)", "last": "\(decoded.next == nil)"])
        if !decoded.undecodable.isEmpty {
            logger.warning("items that do not decode", metadata: ["count": "\(decoded.undecodable.count)"])
        }
        return Page(
            items: decoded.items, undecodable: decoded.undecodable, next: decoded.next, number: number, cursor: cursor,
            byteCount: response.body.readableBytes
        )
    }

    func fetchSingle<Item: APIModel>(
        _ type: Item.Type,
        path: String,
        resource: String,
        scope: String?,
        acceptLanguage: String? = nil,
        logger: Logger?
    ) async throws -> Fetched<Item> {
        var logger = logger ?? self.logger
        logger[metadataKey: "resource"] = "\(resource)"
        let spec = makeSpec(path: path, query: [], resource: resource, scope: scope, acceptLanguage: acceptLanguage)
        let response = try await executor.send(spec, tokens: tokens, logger: logger)
        let item = try PageDecoding.decodeSingle(Item.self, from: response.body, context: .init(resource: resource, path: path))
        executor.statistics.update { $0.items += 1 }
        return item
    }
}

/// What a ``PageSequence`` requests (everything but the cursor).
struct ListRequest: Sendable {
    var path: String
    var query: [(String, String)]
    var resource: String
    var scope: String?
    var acceptLanguage: String?
}
