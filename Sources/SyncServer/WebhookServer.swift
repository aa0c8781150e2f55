import Foundation
import Hummingbird
import Logging
import NIOCore
import PostgresClient
import ServiceLifecycle
import SyncEngine
import UnderstoryAPI

/// `understory-sync serve`: `POST /webhooks/understory` (verify → inbox → 204 after commit),
/// `GET /healthz`, `GET /metrics`, with the inbox worker (and optionally the polling scheduler) in
/// the same process. SIGTERM/SIGINT stop accepting, let the round in hand finish, and return.
public struct WebhookServer: Sendable {
    public struct Configuration: Sendable {
        public var host = "127.0.0.1"
        public var port = 8080
        /// Larger bodies are answered 413 and not read.
        public var maxBodyBytes = 1 << 20
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

        public init(companyID: String, signature: WebhookSignature) {
            self.companyID = companyID
            self.signature = signature
        }
    }

    public var configuration: Configuration
    public var database: PostgresConfiguration
    /// The accounts and their current secrets. Read at start and again (at most every 200 ms)
    /// when a delivery verifies with none of them, so a subscription made while serving is picked up.
    public var accounts: @Sendable () async throws -> [Account]
    /// The inbox worker (not run when `holdProcessing`).
    public var worker: InboxWorker?
    public var metrics: ServerMetrics
    /// Request statistics of the API clients in use, for `/metrics`.
    public var apiStatistics: @Sendable () -> [RequestStatistics]
    /// Work run alongside and stopped with the server: the polling schedules (`--cron`, a reconcile
    /// schedule) or a fleet worker. When one returns, the whole group shuts down gracefully.
    public var services: [any Service]
    public var clock: UnderstoryClock
    public var logger: Logger

    public init(
        configuration: Configuration, database: PostgresConfiguration, accounts: @escaping @Sendable () async throws -> [Account],
        worker: InboxWorker?,
        metrics: ServerMetrics = ServerMetrics(), apiStatistics: @escaping @Sendable () -> [RequestStatistics] = { [] },
        services: [any Service] = [], clock: UnderstoryClock = .system, logger: Logger
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
        let ring = ConnectionRing(configuration: database, size: 4, logger: logger)
        let signal = worker?.signal ?? InboxSignal()
        let cache = AccountCache(load: accounts, clock: clock)
        _ = try await cache.current(reload: true)
        let router = Router()
        let server = self
        if !configuration.metricsOnly {
            router.post("/webhooks/understory") { request, _ -> Response in
                await server.receive(request, ring: ring, signal: signal, accounts: cache)
            }
        }
        router.get("/healthz") { _, _ -> Response in
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
                let now = server.clock.wallClock()
                let statistics = server.apiStatistics()
                try await ring.run { try await server.metrics.refresh(connection: $0, now: now, apiStatistics: statistics) }
            } catch {
                server.logger.warning("metrics could not read PostgreSQL", metadata: ["error": "\(error)"])
            }
            var response = Response(status: .ok, body: .init(byteBuffer: ByteBuffer(bytes: server.metrics.exposition())))
            response.headers[.contentType] = "text/plain; version=0.0.4"
            return response
        }
        let app = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? server.configuration.port) },
            logger: logger
        )
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: app)]
        if let worker, !configuration.holdProcessing, !configuration.metricsOnly {
            let metrics = self.metrics
            var observed = worker
            let previous = worker.onOutcome
            observed = InboxWorker(
                database: worker.database, options: worker.options, clock: worker.clock, logger: worker.logger, signal: worker.signal,
                onOutcome: { outcome in
                    metrics.record(outcome)
                    previous?(outcome)
                },
                client: worker.client
            )
            services.append(.init(service: WorkerService(worker: observed), successTerminationBehavior: .gracefullyShutdownGroup))
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

    /// One delivery: size check, signature, inbox insert (committed), then 204.
    func receive(_ request: Request, ring: ConnectionRing, signal: InboxSignal, accounts cache: AccountCache) async -> Response {
        metrics.received.increment()
        let limit = configuration.maxBodyBytes
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            metrics.rejected("too_large")
            return Self.text(.contentTooLarge, "body larger than \(limit) bytes\n")
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
        func header(_ name: String) -> String? { request.headers.first { $0.name.canonicalName == name }?.value }
        let id = header("webhook-id")
        let timestamp = header("webhook-timestamp")
        let signatures = header("webhook-signature")
        let now = clock.wallClock()
        var companyID: String?
        var lastError: WebhookSignatureError?
        for reload in [false, true] {
            guard let accounts = try? await cache.current(reload: reload) else { break }
            for account in accounts {
                do {
                    try account.signature.verify(id: id, timestamp: timestamp, signatures: signatures, body: body, now: now)
                    companyID = account.companyID
                    break
                } catch let error as WebhookSignatureError {
                    lastError = error
                } catch {}
            }
            // Only a signature mismatch can be cured by newer secrets.
            if companyID != nil || (lastError.map { $0.code != .signatureMismatch } ?? false) { break }
        }
        guard let companyID, let id, let timestamp = timestamp.flatMap({ Int64($0) }) else {
            let reason: String
            switch lastError?.code {
            case .missingHeader: reason = "missing_header"
            case .timestampOutOfTolerance, .invalidTimestamp: reason = "timestamp"
            default: reason = "signature"
            }
            metrics.rejected(reason)
            logger.warning("webhook rejected", metadata: ["reason": "\(lastError?.message ?? "no secret configured")"])
            return Self.text(.unauthorized, "signature verification failed\n")
        }
        guard let message = WebhookMessage.decode(body) else {
            metrics.rejected("malformed")
            return Self.text(.badRequest, "the body is not a webhook message\n")
        }
        let delivery = WebhookInbox.Delivery(
            companyID: companyID, webhookID: id, sentAt: Date(timeIntervalSince1970: TimeInterval(timestamp)), body: body, message: message
        )
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

    static func text(_ status: HTTPResponse.Status, _ text: String) -> Response {
        var response = Response(status: status, body: .init(byteBuffer: ByteBuffer(string: text)))
        response.headers[.contentType] = "text/plain; charset=utf-8"
        return response
    }
}

/// The accounts' secrets, reloaded on demand at most five times a second.
actor AccountCache {
    let load: @Sendable () async throws -> [WebhookServer.Account]
    let clock: UnderstoryClock
    var accounts: [WebhookServer.Account] = []
    var loadedAt: ContinuousClock.Instant?

    init(load: @escaping @Sendable () async throws -> [WebhookServer.Account], clock: UnderstoryClock) {
        self.load = load
        self.clock = clock
    }

    func current(reload: Bool) async throws -> [WebhookServer.Account] {
        if reload, loadedAt.map({ clock.now() - $0 >= .milliseconds(200) }) ?? true {
            accounts = try await load()
            loadedAt = clock.now()
        }
        return accounts
    }
}

/// The inbox worker as a service of the server's group.
struct WorkerService: Service {
    let worker: InboxWorker

    func run() async throws {
        try await worker.run()
    }
}
