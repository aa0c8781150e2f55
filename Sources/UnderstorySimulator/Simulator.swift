import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// An in-process fake of the Understory API (auth server and `/v1`), serving seeded data over real
/// HTTP with faults on demand. Use `withSimulator(_:_:)` in tests; `serve(host:port:onStart:)` in
/// the `understory-sim` executable.
///
/// Thread safety: all mutable state sits in `Mutex`es (one per company's data, and the runtime), so
/// the class is `Sendable` without `@unchecked`. Locks are never held across an `await` nor nested.
public final class Simulator: Sendable {
    public let configuration: SimulatorConfiguration
    /// How long generating the data took.
    public let generationTime: Duration

    let logger: Logger
    /// Index 0 is the primary company, then `configuration.additionalCompanies` in order.
    let companies: [CompanyData]
    let runtime: Mutex<Runtime>
    let cursorSecret: UInt64
    let started: ContinuousClock.Instant
    /// Subscriptions and deliveries; told of every table change.
    let webhooks: SimulatorWebhooks

    /// Generates the data (in parallel; seconds for hundreds of thousands of records in release builds).
    public init(configuration: SimulatorConfiguration = .init(), logger: Logger? = nil) {
        self.configuration = configuration
        self.logger = logger ?? Logger(label: "understory-simulator", factory: { _ in SwiftLogNoOpLogHandler() })
        let clock = ContinuousClock()
        let generationStart = clock.now
        let companies = CompanyData.generate(configuration)
        self.companies = companies
        let webhooks = SimulatorWebhooks(companyIDs: companies.map(\.company.id), clock: configuration.clock)
        self.webhooks = webhooks
        for company in companies {
            let index = company.index
            company.store.whenGenerated { $0.observe(companyIndex: index, webhooks: webhooks) }
        }
        self.generationTime = clock.now - generationStart
        self.started = configuration.clock.now
        var system = SystemRandomNumberGenerator()
        self.cursorSecret = system.next()
        self.runtime = Mutex(
            Runtime(
                faults: configuration.faults,
                faultRandom: SeededRandom(seed: configuration.seed, stream: DataGenerator.Stream.faults.rawValue, index: 0)
            )
        )
        let companyIDs = Set(self.companies.map(\.company.id))
        for client in configuration.clients {
            if let id = client.companyID {
                precondition(companyIDs.contains(id), "client \(client.id) names an unknown company \(id)")
            }
        }
    }

    /// The simulator's "now" (`configuration.clock`): what token, code and cursor lifetimes are measured against.
    var now: ContinuousClock.Instant { self.configuration.clock.now }

    // MARK: address and credentials

    /// `http://127.0.0.1:PORT` once serving; "" before.
    public var baseURL: String { self.runtime.withLock { $0.baseURL } }
    /// The bound port once serving; 0 before.
    public var port: Int { self.runtime.withLock { $0.port } }
    /// The first configured client.
    public var clientID: String { self.configuration.clients.first?.id ?? "" }
    public var clientSecret: String { self.configuration.clients.first?.secret ?? "" }
    /// The audience the token endpoint requires.
    public var audience: String { self.configuration.audience }

    // MARK: faults

    public var faults: SimulatorFaults { self.runtime.withLock { $0.faults } }

    public func setFaults(_ faults: SimulatorFaults) {
        self.runtime.withLock { $0.faults = faults }
    }

    public func updateFaults(_ change: (inout SimulatorFaults) -> Void) {
        self.runtime.withLock { change(&$0.faults) }
    }

    /// Makes every token issued so far expired (the next API call with one gets 401).
    public func expireAllTokens() {
        self.runtime.withLock { runtime in
            let now = self.now
            for key in runtime.tokens.keys { runtime.tokens[key]?.expiresAt = now - .seconds(1) }
        }
    }

    // MARK: time moves

    /// Deterministically (from the seed and the number of mutations so far) updates, creates and
    /// cancels records of each resource in `resources`. Every changed record gets the same fresh
    /// `updated_at`, one second (plus a fraction) after the previous mutation. Updates sometimes
    /// change content: booking notes/status; order line items/totals, payment status with a new
    /// transaction or refund; event seats/state. Experiences are only updated, never created or cancelled.
    @discardableResult
    public func mutate(
        updates: Int = 3, creates: Int = 1, cancels: Int = 1,
        resources: Set<SimulatorResource> = [.bookings, .orders, .events], company: String? = nil
    ) -> SimulatorMutationSummary {
        self.mutate(MutationBatch(updates: updates, creates: creates, cancels: cancels, resources: resources), company: company)
    }

    /// `company`: nil = the primary company; an unknown id traps (here and in the other data methods).
    @discardableResult
    public func mutate(_ batch: MutationBatch, company: String? = nil) -> SimulatorMutationSummary {
        let summary = self.requireCompany(company).store.withLock { $0.mutate(batch) }
        self.noteCreations(summary)
        return summary
    }

    /// Bumps one record's `updated_at` to a fresh instant (sometimes changing content as `mutate`
    /// does). Returns the new `updated_at` (RFC 3339), or nil for an unknown id.
    @discardableResult
    public func touch(_ resource: SimulatorResource, id: String, company: String? = nil) -> String? {
        self.requireCompany(company).store.withLock { $0.touch(resource, id: id) }.map { SimulatorTime.rfc3339(micros: $0) }
    }

    /// Cancels one booking/order/event (status CANCELLED, fresh `updated_at`). False if unknown.
    @discardableResult
    public func cancel(_ resource: SimulatorResource, id: String, company: String? = nil) -> Bool {
        self.requireCompany(company).store.withLock { $0.cancel(resource, id: id) }
    }

    /// Serves the record from now on without the top-level field `removingField` (e.g. "status" or
    /// "updated_at"), so a client can be shown to reject it cleanly. False if the id is unknown.
    @discardableResult
    public func corrupt(resource: SimulatorResource, id: String, removingField field: String, company: String? = nil) -> Bool {
        self.requireCompany(company).store.withLock { $0.corrupt(resource, id: id, removingField: field) }
    }

    /// Sets top-level fields of one record to raw JSON values (`"updated_at": "\"2036-01-01T00:00:00Z\""`,
    /// a string with `\u0000`, `null`, …) without a fresh `updated_at`. RFC 3339 `updated_at`/`created_at`
    /// move the record in sorted lists. False if the id is unknown or deleted.
    @discardableResult
    public func setFields(_ resource: SimulatorResource, id: String, _ fields: [(key: String, json: String)], company: String? = nil) -> Bool {
        let overrides = fields.map { FieldOverride(key: $0.key, json: Array($0.json.utf8)) }
        return self.requireCompany(company).store.withLock { $0.setFields(resource, id: id, overrides) }
    }

    /// Sets top-level fields of an order's `line`-th line item (from 1) to raw JSON values, as
    /// ``setFields(_:id:_:company:)`` does for records; the order's `updated_at` stays. False if
    /// the order or line is unknown.
    @discardableResult
    public func setLineItemFields(orderID: String, line: Int, _ fields: [(key: String, json: String)], company: String? = nil) -> Bool {
        let overrides = fields.map { FieldOverride(key: $0.key, json: Array($0.json.utf8)) }
        return self.requireCompany(company).store.withLock { $0.setLineItemFields(orderID: orderID, line: line, overrides) }
    }

    /// Deletes one record: lists omit it and its single GET answers 404. False if unknown or already deleted.
    @discardableResult
    public func delete(_ resource: SimulatorResource, id: String, company: String? = nil) -> Bool {
        self.requireCompany(company).store.withLock { $0.delete(resource, id: id) }
    }

    /// Serves a deleted record again (lists and GET), as it was before `delete`.
    @discardableResult
    public func restore(_ resource: SimulatorResource, id: String, company: String? = nil) -> Bool {
        self.requireCompany(company).store.withLock { $0.restore(resource, id: id) }
    }

    /// Changes an order's line items or refunds without touching the order's `updated_at`.
    @discardableResult
    public func changeOrderChildren(orderID: String, _ change: OrderChildrenChange, company: String? = nil) -> Bool {
        self.requireCompany(company).store.withLock { $0.changeOrderChildren(orderID: orderID, change) }
    }

    /// Changes the tickets of a booking or the ticket variants of an experience (what their
    /// sub-resource answers) without touching the booking or experience itself, as a check-in or
    /// a catalog price change may. False for an unknown or deleted record or another resource.
    @discardableResult
    public func changeChildren(_ resource: SimulatorResource, id: String, company: String? = nil) -> Bool {
        guard resource == .bookings || resource == .experiences else { return false }
        return self.requireCompany(company).store.withLock { store in
            let table = store.table(resource)
            guard let index = table.index(of: id), !table[index].deleted else { return false }
            store.childRevisions[id, default: 0] += 1
            return true
        }
    }

    /// Everything served right now.
    public func truth(company: String? = nil) -> SimulatorTruth {
        self.requireCompany(company).store.withLock { $0.truth() }
    }

    /// Ids of a resource in the order a list request with that sort returns them (no filter).
    /// `sort`: `created_at`/`updated_at` with optional `+`/`-` (bookings, orders), ignored for
    /// events (first session start) and experiences (created_at).
    public func ids(_ resource: SimulatorResource, sort: String = "-created_at", company: String? = nil) -> [String] {
        self.requireCompany(company).store.withLock { store in
            let table = store.table(resource)
            let field: SortField
            var descending = false
            switch resource {
            case .events: field = .start
            case .experiences, .marketingConsents: field = .created
            case .bookings, .orders:
                descending = !sort.hasPrefix("+") && sort.hasPrefix("-")
                field = sort.hasSuffix("updated_at") ? .updated : .created
            }
            let order = table.order(field)
            let ids = order.map { table[Int($0)].id }
            return descending ? ids.reversed() : ids
        }
    }

    // MARK: counters

    /// Requests answered so far whose path starts with `pathPrefix` (and, if given, with `status`).
    public func requestCount(pathPrefix: String = "/", status: Int? = nil) -> Int {
        self.runtime.withLock { runtime in
            var total = 0
            for (path, statuses) in runtime.requestCounts where path.hasPrefix(pathPrefix) {
                if let status {
                    total += statuses[status] ?? 0
                } else {
                    total += statuses.values.reduce(0, +)
                }
            }
            return total
        }
    }

    /// Path → status → count, for every request answered so far.
    public func requestCounts() -> [String: [Int: Int]] {
        self.runtime.withLock { $0.requestCounts }
    }

    public func resetRequestCounts() {
        self.runtime.withLock { $0.requestCounts = [:] }
    }

    /// Starts keeping the path and query of every `/v1/` request answered 200, in answer order (a
    /// benchmark replays them with a bare HTTP client to measure the floor of CPU per request).
    public func recordRequests() {
        self.runtime.withLock { $0.recordedTargets = [] }
    }

    /// What ``recordRequests()`` kept since it was called; recording stops.
    public func recordedRequests() -> [String] {
        self.runtime.withLock { runtime in
            defer { runtime.recordedTargets = nil }
            return runtime.recordedTargets ?? []
        }
    }

    /// `/v1` requests in flight right now.
    public var requestsInFlight: Int { self.runtime.withLock { $0.inFlight } }

    // MARK: serving

    func makeApplication(host: String, port: Int, onRunning: @escaping @Sendable (Int) async -> Void) -> some ApplicationProtocol {
        Application(
            router: self.makeRouter(),
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { [self] channel in
                let boundPort = channel.localAddress?.port ?? port
                let shownHost = host == "0.0.0.0" || host == "::" ? "127.0.0.1" : host
                self.runtime.withLock { runtime in
                    runtime.port = boundPort
                    runtime.baseURL = "http://\(shownHost):\(boundPort)"
                }
                await onRunning(boundPort)
            },
            logger: self.logger
        )
    }

    /// Serves until SIGINT or SIGTERM (graceful shutdown). `onStart` gets the base URL once bound.
    public func serve(host: String = "127.0.0.1", port: Int, onStart: @escaping @Sendable (String) async -> Void) async throws {
        let app = self.makeApplication(host: host, port: port) { [self] _ in
            await onStart(self.baseURL)
        }
        try await app.runService()
    }

    /// Serves on `host`:`port` (0 = any free port) while `body` runs, then stops the server,
    /// whether `body` returns or throws. The stop is a graceful shutdown, never a cancellation: a
    /// connection accepted while the server stops is served and closed (cancelling a server whose
    /// accepted connection is still buffered traps in NIOAsyncWriter's deinit, apple/swift-nio#2637),
    /// and nothing held is left to hold the shutdown up.
    public func withServer<T>(host: String = "127.0.0.1", port: Int = 0, _ body: () async throws -> T) async throws -> T {
        let (started, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = self.makeApplication(host: host, port: port) { port in
            continuation.yield(port)
        }
        let server = ServiceGroup(configuration: ServiceGroupConfiguration(services: [app], logger: self.logger))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { continuation.finish() }
                try await server.run()
            }
            var iterator = started.makeAsyncIterator()
            guard await iterator.next() != nil else {
                // The server stopped before binding: surface its error.
                try await group.waitForAll()
                throw SimulatorError(message: "the simulator server stopped before it was listening")
            }
            let result: Result<T, any Error>
            do {
                result = .success(try await body())
            } catch {
                result = .failure(error)
            }
            self.webhooks.stop()
            self.releaseAPIRequests()
            _ = self.releaseHeldAnswers()
            await server.triggerGracefulShutdown()
            do {
                try await group.waitForAll()
            } catch {
                // Errors from shutting the server down are not the caller's.
            }
            return try result.get()
        }
    }
}

/// Runs `body` with a simulator serving on 127.0.0.1 (a free port); always stops it.
public func withSimulator<T>(
    _ configuration: SimulatorConfiguration = .init(),
    logger: Logger? = nil,
    _ body: (Simulator) async throws -> T
) async throws -> T {
    let simulator = Simulator(configuration: configuration, logger: logger)
    return try await simulator.withServer(host: "127.0.0.1", port: 0) {
        // A test that stops with requests still held must not leave the server waiting on them.
        defer { simulator.releaseAPIRequests() }
        return try await body(simulator)
    }
}

public struct SimulatorError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { self.message }
}

/// Tokens, faults, counters: the non-data state. Guarded by `Simulator.runtime`.
struct Runtime: Sendable {
    struct IssuedToken: Sendable {
        var clientID: String
        var scopes: Set<String>
        var expiresAt: ContinuousClock.Instant
        /// Index into `Simulator.companies`.
        var company: Int = 0
        /// The consent an authorization_code/refresh_token grant issued it under; nil for client_credentials.
        var consentID: Int? = nil
    }

    var faults: SimulatorFaults
    var faultRandom: SeededRandom
    var tokens: [String: IssuedToken] = [:]
    var oauth: OAuthState
    var requestCounts: [String: [Int: Int]] = [:]
    /// Path and query of each `/v1/` 200 answer while recording (nil: not recording).
    var recordedTargets: [String]? = nil
    var apiRequests = 0
    var inFlight = 0
    /// Each client's token bucket, while `faults.rateLimiter` is set (by client id).
    var buckets: [String: RateLimiterBucket] = [:]
    /// While set, the `/v1` requests it matches wait in `heldRequests` (see Simulator+Hold.swift).
    var hold: APIHold? = nil
    var heldRequests: [CheckedContinuation<Void, Never>] = []
    /// While set, the answers to the `/v1` requests it matches wait in `heldAnswers` (see Simulator+HeldAnswers.swift).
    var answerHold: AnswerHold? = nil
    var heldAnswers: [CheckedContinuation<Void, Never>] = []
    var baseURL = ""
    var port = 0
    /// When `mutate` created each item, while ``SimulatorFaults/notFoundAfterCreation`` is set.
    var creations: [String: ContinuousClock.Instant] = [:]

    init(faults: SimulatorFaults, faultRandom: SeededRandom) {
        self.faults = faults
        self.faultRandom = faultRandom
        self.oauth = OAuthState()
    }
}
