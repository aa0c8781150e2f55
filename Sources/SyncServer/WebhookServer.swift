import Foundation
import Hummingbird
import Logging
import NIOCore
import PostgresClient
import ServiceLifecycle
import SyncEngine
import TimeSource
import UnderstoryAPI

/// `understory-sync serve`: `POST /webhooks/understory` (verify → inbox → 204 after commit),
/// `GET /healthz`, `GET /metrics`, with the inbox worker (and optionally the polling scheduler) in
/// the same process. SIGTERM/SIGINT stop accepting, let the round in hand finish, and return.
public struct WebhookServer: Sendable {
    public struct Configuration: Sendable {
        public var host = "127.0.0.1"
        public var port = 8080
        /// Larger bodies are answered 413 and not read. Understory's messages are thin (ids only):
        /// the documented envelope with four UUID ids is 339 bytes, so 16 KiB leaves 48-fold room.
        public var maxBodyBytes = 16 * 1024
        /// PostgreSQL connections the endpoints share (more requests wait in line for one).
        public var connections = 4
        /// A connection that sends nothing for this long is closed (there is no separate header timeout in Hummingbird 2).
        public var idleTimeout: Duration = .seconds(30)
        /// Secrets are reloaded on an unknown endpoint at most this often, whether the last load worked or not.
        public var reloadInterval: Duration = .seconds(1)
        /// Secrets are also reloaded this often, so a disconnected account or a deleted subscription
        /// stops being accepted (and its API client is dropped) without a restart. Nil: only on demand.
        public var refreshInterval: Duration? = .seconds(30)
        /// Store deliveries but do not process them (tests: a crash between commit and processing).
        public var holdProcessing = false
        /// Serve only `/healthz` and `/metrics` (`schedule --metrics-port`).
        public var metricsOnly = false
        /// Who may read `/metrics`; nil: open on a loopback host, refused (the server does not start) on any other.
        public var statusAccess: StatusAccess?

        public init() {}
    }

    /// The secrets of one account: a delivery that verifies with them belongs to it.
    public struct Account: Sendable {
        public var companyID: String
        public var signature: WebhookSignature
        /// The endpoint keys (`POST /webhooks/understory/{endpoint}`) of its subscriptions.
        public var endpoints: Set<String>
        /// Whether deliveries on the plain `POST /webhooks/understory` may be its (a secret with no
        /// endpoint: UNDERSTORY_WEBHOOK_SECRET, or a subscription made before endpoints existed).
        /// The plain path is served only while exactly one account claims it.
        public var plainPath: Bool

        public init(companyID: String, signature: WebhookSignature, endpoints: Set<String> = [], plainPath: Bool = true) {
            self.companyID = companyID
            self.signature = signature
            self.endpoints = endpoints
            self.plainPath = plainPath
        }
    }

    public var configuration: Configuration
    public var database: PostgresConfiguration
    /// The accounts and their current secrets. Read at start and again (one load at a time, at most
    /// once per `reloadInterval`) when a delivery names an endpoint none of them has, so a
    /// subscription made while serving is picked up and a disconnected account is dropped.
    public var accounts: @Sendable () async throws -> [Account]
    /// The inbox worker (not run when `holdProcessing`).
    public var worker: InboxWorker?
    public var metrics: ServerMetrics
    /// Request statistics of the API clients in use, for `/metrics`.
    public var apiStatistics: @Sendable () -> [RequestStatistics]
    /// Work run alongside and stopped with the server: the polling schedules (`--cron`, a reconcile
    /// schedule) or a fleet worker. When one returns, the whole group shuts down gracefully.
    public var services: [any Service]
    public var clock: any TimeSource
    public var logger: Logger

    public init(
        configuration: Configuration, database: PostgresConfiguration, accounts: @escaping @Sendable () async throws -> [Account],
        worker: InboxWorker?,
        metrics: ServerMetrics = ServerMetrics(), apiStatistics: @escaping @Sendable () -> [RequestStatistics] = { [] },
        services: [any Service] = [], clock: any TimeSource = .system, logger: Logger
    ) {
        self.configuration = configuration
        self.database = database
        self.accounts = accounts
        self.worker = worker
        self.metrics = metrics
        self.apiStatistics = apiStatistics
        self.services = services
        self.clock = clock
        self.logger = logger
    }

    /// Serves until SIGTERM/SIGINT (or cancellation). `onListening` gets the bound port.
    public func run(handleSignals: Bool = true, onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let access = try configuration.statusAccess ?? StatusAccess.forListener(host: configuration.host, token: nil, publicStatus: false)
        let ring = ConnectionRing(configuration: database, size: configuration.connections, clock: clock, logger: logger)
        let signal = worker?.signal ?? InboxSignal()
        let cache = AccountCache(load: accounts, minimumInterval: configuration.reloadInterval, clock: clock, logger: logger)
        if !configuration.metricsOnly { await cache.reload() }
        let router = self.makeRouter(access: access, ring: ring, signal: signal, accounts: cache)
        let idle = configuration.idleTimeout.components
        let app = Application(
            router: router,
            server: .http1(
                configuration: .init(
                    idleTimeout: .nanoseconds(idle.seconds * 1_000_000_000 + idle.attoseconds / 1_000_000_000),
                    // Standard Webhooks headers are short: refuse header floods before they reach a handler.
                    httpDecoderConfiguration: .init(maxHeaderFieldSize: 8 * 1024, maxHeaderListSize: 32 * 1024, maxHeaderFieldCount: 100)
                )
            ),
            configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? self.configuration.port) },
            logger: logger
        )
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: app)]
        if let worker, !configuration.holdProcessing, !configuration.metricsOnly {
            let metrics = self.metrics
            var observed = worker
            let previous = worker.onOutcome
            observed = InboxWorker(
                database: worker.database, options: worker.options, clock: worker.clock, logger: worker.logger, signal: worker.signal,
                heartbeat: worker.heartbeat,
                onOutcome: { outcome in
                    metrics.record(outcome)
                    previous?(outcome)
                },
                client: worker.client
            )
            services.append(
                .init(service: WorkerService(worker: observed, clock: clock, logger: logger), successTerminationBehavior: .gracefullyShutdownGroup)
            )
        }
        if !configuration.metricsOnly, let interval = configuration.refreshInterval {
            services.append(.init(service: AccountRefresh(cache: cache, interval: interval, clock: clock)))
        }
        for service in self.services {
            services.append(.init(service: service, successTerminationBehavior: .gracefullyShutdownGroup))
        }
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services, gracefulShutdownSignals: handleSignals ? [.sigterm, .sigint] : [], logger: logger
            )
        )
        do {
            try await group.run()
        } catch {
            await ring.closeAll()
            throw error
        }
        await ring.closeAll()
    }

    /// The routes: deliveries (unless metrics only), `/healthz`, the status page and `/metrics`.
    private func makeRouter(access: StatusAccess, ring: ConnectionRing, signal: InboxSignal, accounts cache: AccountCache) -> Router<BasicRequestContext> {
        let router = Router()
        let server = self
        if !configuration.metricsOnly {
            router.post("/webhooks/understory") { request, _ -> Response in
                await server.receive(request, endpoint: nil, ring: ring, signal: signal, accounts: cache)
            }
            router.post("/webhooks/understory/:endpoint") { request, context -> Response in
                await server.receive(request, endpoint: context.parameters.get("endpoint") ?? "", ring: ring, signal: signal, accounts: cache)
            }
        }
        let processing = configuration.holdProcessing || configuration.metricsOnly ? nil : worker
        router.get("/healthz") { _, _ -> Response in
            if let processing, processing.isStalled {
                return Self.text(.serviceUnavailable, "the webhook inbox worker has not finished a round for \(processing.heartbeat.silence)\n")
            }
            do {
                _ = try await ring.run { try await $0.execute("SELECT 1") }
                return Self.text(.ok, "ok\n")
            } catch {
                return Self.text(.serviceUnavailable, "PostgreSQL does not answer\n")
            }
        }
        router.get("/") { request, _ -> Response in
            guard access.allows(request.headers) else { return StatusAccess.unauthorized() }
            return await server.statusPage(ring: ring)
        }
        router.get("/metrics") { request, _ -> Response in
            guard access.allows(request.headers) else { return StatusAccess.unauthorized() }
            do {
                let now = server.clock.wallNow
                let statistics = server.apiStatistics()
                try await ring.run { try await server.metrics.refresh(connection: $0, now: now, apiStatistics: statistics) }
            } catch {
                server.logger.warning("metrics could not read PostgreSQL", metadata: ["error": "\(error)"])
            }
            var response = Response(status: .ok, body: .init(byteBuffer: ByteBuffer(bytes: server.metrics.exposition())))
            response.headers[.contentType] = "text/plain; version=0.0.4"
            return response
        }
        return router
    }

    /// One delivery: headers, size, the account (by endpoint, before any HMAC), body, signature,
    /// inbox insert (committed), then 204. A forgery costs at most one HMAC per secret of one
    /// account and never a database connection.
    func receive(_ request: Request, endpoint: String?, ring: ConnectionRing, signal: InboxSignal, accounts cache: AccountCache) async -> Response {
        metrics.received.increment()
        func header(_ name: String) -> String? { request.headers.first { $0.name.canonicalName == name }?.value }
        let id = header("webhook-id")
        let timestamp = header("webhook-timestamp")
        let signatures = header("webhook-signature")
        let now = clock.wallNow
        do {
            try WebhookSignature.checkHeaders(id: id, timestamp: timestamp, signatures: signatures, now: now)
        } catch {
            let reason = switch error.code {
            case .missingHeader: "missing_header"
            case .invalidTimestamp, .timestampOutOfTolerance: "timestamp"
            default: "signature"
            }
            return reject(reason, error.message)
        }
        let limit = configuration.maxBodyBytes
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            metrics.rejected("too_large")
            return Self.text(.contentTooLarge, "body larger than \(limit) bytes\n")
        }
        var account: Account
        switch await self.account(endpoint: endpoint, accounts: cache) {
        case .success(let found): account = found
        case .failure(let refusal): return refusal.response
        }
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: limit)
        } catch {
            metrics.rejected("too_large")
            return Self.text(.contentTooLarge, "body larger than \(limit) bytes\n")
        }
        let body = Array(buffer.readableBytesView)
        var sentAt: Int64?
        var failure = "no webhook-signature matches"
        do {
            sentAt = try account.signature.verify(id: id, timestamp: timestamp, signatures: signatures, body: body, now: now)
        } catch {
            failure = "\(error)"
        }
        // The plain path's single account may have a secret newer than those loaded (a subscription made
        // while serving): one more try after a reload, itself at most one a `reloadInterval`.
        if sentAt == nil, endpoint == nil, await cache.reload(), case .found(let reloaded) = await cache.account(endpoint: nil) {
            sentAt = try? reloaded.signature.verify(id: id, timestamp: timestamp, signatures: signatures, body: body, now: now)
            if sentAt != nil { account = reloaded }
        }
        guard let sentAt else { return reject("signature", failure) }
        guard let id, let message = WebhookMessage.decode(body) else {
            metrics.rejected("malformed")
            return Self.text(.badRequest, "the body is not a webhook message\n")
        }
        let delivery = WebhookInbox.Delivery(
            companyID: account.companyID, webhookID: id, sentAt: Date(timeIntervalSince1970: TimeInterval(sentAt)), body: body, message: message
        )
        return await self.store(delivery, ring: ring, signal: signal)
    }

    /// The account a delivery to `endpoint` is for (reloading the accounts once if unknown), or the refusal.
    private func account(endpoint: String?, accounts cache: AccountCache) async -> Result<Account, Refusal> {
        var lookup = await cache.account(endpoint: endpoint)
        if case .unknown = lookup {
            await cache.reload()
            lookup = await cache.account(endpoint: endpoint)
        }
        switch lookup {
        case .found(let found): return .success(found)
        case .unknown(let loadFailed):
            if loadFailed {
                // The secrets could not be read (PostgreSQL): the sender retries later.
                metrics.rejected("secrets_unavailable")
                return .failure(Refusal(response: Self.text(.serviceUnavailable, "the webhook secrets cannot be read now; retry later\n")))
            }
            let detail = endpoint == nil ? "no single account serves the plain path" : "no subscription has this endpoint"
            return .failure(Refusal(response: reject("unknown_endpoint", detail)))
        }
    }

    /// A delivery's answer when it is refused before its body is read.
    private struct Refusal: Error {
        var response: Response
    }

    /// Inserts a verified delivery into the inbox (committed) and wakes the worker: 204, or 503 to be sent again.
    private func store(_ delivery: WebhookInbox.Delivery, ring: ConnectionRing, signal: InboxSignal) async -> Response {
        do {
            let inserted = try await ring.run { try await WebhookInbox(connection: $0).insert(delivery) }
            if inserted {
                signal.notify()
            } else {
                metrics.duplicates.increment()
            }
            return Response(status: .noContent)
        } catch {
            logger.error("webhook could not be stored", metadata: ["error": "\(error)"])
            return Self.text(.serviceUnavailable, "could not store the delivery; retry later\n")
        }
    }

    private func reject(_ reason: String, _ detail: String) -> Response {
        metrics.rejected(reason)
        logger.warning("webhook rejected", metadata: ["reason": "\(detail)"])
        return Self.text(.unauthorized, "signature verification failed\n")
    }

    static func text(_ status: HTTPResponse.Status, _ text: String) -> Response {
        var response = Response(status: status, body: .init(byteBuffer: ByteBuffer(string: text)))
        response.headers[.contentType] = "text/plain; charset=utf-8"
        return response
    }
}

/// The accounts' secrets by endpoint. Reloads are single-flight (callers during a load wait for
/// it) and at most one per `minimumInterval`, counted from the start of the last attempt whether
/// it worked or not, so no request rate can make `serve` read the secrets more often.
actor AccountCache {
    enum Lookup {
        case found(WebhookServer.Account)
        /// No account: `loadFailed` when the last load failed (the answer may change on retry).
        case unknown(loadFailed: Bool)
    }

    let load: @Sendable () async throws -> [WebhookServer.Account]
    let minimumInterval: Duration
    let clock: any TimeSource
    let logger: Logger
    private var byEndpoint: [String: WebhookServer.Account] = [:]
    private var plainPath: WebhookServer.Account?
    private var lastAttempt: ContinuousClock.Instant?
    private var lastLoadFailed = false
    private var inFlight: Task<Void, Never>?
    /// Loads started so far (tests).
    private(set) var loads = 0

    init(load: @escaping @Sendable () async throws -> [WebhookServer.Account], minimumInterval: Duration, clock: any TimeSource, logger: Logger) {
        self.load = load
        self.minimumInterval = minimumInterval
        self.clock = clock
        self.logger = logger
    }

    func account(endpoint: String?) -> Lookup {
        let found = endpoint.map { byEndpoint[$0] } ?? plainPath
        return found.map { .found($0) } ?? .unknown(loadFailed: lastLoadFailed)
    }

    /// Reloads unless a load is running (then waits for it) or the last one started less than
    /// `minimumInterval` ago. True when a load ran (or was waited for) and worked.
    @discardableResult
    func reload() async -> Bool {
        if let inFlight {
            await inFlight.value
            return !lastLoadFailed
        }
        if let lastAttempt, clock.now - lastAttempt < minimumInterval { return false }
        lastAttempt = clock.now
        loads += 1
        let load = self.load
        let task = Task {
            do {
                self.apply(.success(try await load()))
            } catch {
                self.apply(.failure(error))
            }
        }
        inFlight = task
        await task.value
        return !lastLoadFailed
    }

    private func apply(_ result: Result<[WebhookServer.Account], any Error>) {
        inFlight = nil
        switch result {
        case .success(let accounts):
            lastLoadFailed = false
            var byEndpoint: [String: WebhookServer.Account] = [:]
            for account in accounts {
                for endpoint in account.endpoints { byEndpoint[endpoint] = account }
            }
            self.byEndpoint = byEndpoint
            let plain = accounts.filter(\.plainPath)
            self.plainPath = plain.count == 1 ? plain[0] : nil
            if plain.count > 1 {
                logger.warning(
                    "several accounts have secrets without an endpoint: the plain path serves none of them; subscribe again (webhooks subscribe) for per-subscription paths",
                    metadata: ["accounts": "\(plain.map(\.companyID).sorted())"]
                )
            }
        case .failure(let error):
            // Keep what was loaded before: a PostgreSQL hiccup must not turn away known senders.
            lastLoadFailed = true
            logger.error("the webhook secrets could not be loaded", metadata: ["error": "\(error)"])
        }
    }
}

/// Reloads the secrets every `interval` until the group stops.
struct AccountRefresh: Service {
    let cache: AccountCache
    let interval: Duration
    let clock: any TimeSource

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await clock.sleep(for: interval) }
            } catch {
                return
            }
            await cache.reload()
        }
    }
}

/// The inbox worker as a service of the server's group. Whatever stops the worker short of
/// cancellation (an error it did not handle, a lost connection) is logged and the worker started
/// again after a back-off (1 s doubling to 60 s, reset after a minute of running), so `serve`
/// keeps accepting and processing deliveries; it ends only with the group. At SIGTERM the worker
/// has `shutdownGrace` to finish the message in hand, then it is cancelled (its transaction rolls
/// back and the row stays pending), so an API that does not answer cannot hold up the exit.
struct WorkerService: Service {
    let worker: InboxWorker
    let clock: any TimeSource
    let logger: Logger
    var shutdownGrace: Duration = .seconds(10)

    private func runWithShutdownGrace() async throws {
        let worker = self.worker
        try await abandonAfterShutdown(grace: shutdownGrace, clock: clock) { try await worker.run() }
    }

    static func backoff(afterFailures failures: Int) -> Duration {
        min(.seconds(1) * (1 << min(max(failures - 1, 0), 6)), .seconds(60))
    }

    func run() async throws {
        var failures = 0
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let started = clock.now
            do {
                try await runWithShutdownGrace()
                return
            } catch {
                if Task.isCancelled || Task.isShuttingDownGracefully { return }
                failures = clock.now - started > .seconds(60) ? 1 : failures + 1
                let wait = Self.backoff(afterFailures: failures)
                logger.error("the inbox worker stopped; restarting it", metadata: ["error": "\(error)", "restart_in": "\(wait)"])
                do {
                    try await cancelWhenGracefulShutdown { try await clock.sleep(for: wait) }
                } catch {
                    return
                }
            }
        }
    }
}
