import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import PostgresClient
import ServiceLifecycleTestKit
import Synchronization
import SyncEngine
@testable import SyncServer
import SyncTestSupport
import Testing
import UnderstoryAPI
import UnderstorySimulator

/// `serve` under faults from outside: the API unreachable at start, forged floods, unreadable
/// secrets, a terminated PostgreSQL backend, and what `webhooks subscribe` leaves behind.
@Suite("serve under faults: no API at start, forgeries, secrets, lost connections")
struct ServeFaultTests {
    static let tokenKey = try! TokenKey(bytes: Array(repeating: 7, count: 32))

    static func newSecret() -> String { "whsec_" + Data((0..<24).map { _ in UInt8.random(in: 0...255) }).base64EncodedString() }

    /// Stores a completed subscription of `companyID` at `endpoint` as `webhooks subscribe` does.
    static func storeSubscription(
        database: PostgresConfiguration, companyID: String, id: String, endpoint: String, secret: String
    ) async throws {
        let subscription = try JSONDecoder().decode(
            WebhookSubscription.self,
            from: Data(#"{"id":"\#(id)","url":"https://sync.example/webhooks/understory/\#(endpoint)","event_types":["v1.booking.updated"],"state":"ENABLED"}"#.utf8)
        )
        try await WebhookSubscriptionStore.with(database: database, logger: quietLogger) { store in
            try await store.savePending(
                companyID: companyID, endpoint: endpoint, url: subscription.url ?? "", eventTypes: ["v1.booking.updated"], key: tokenKey
            )
            try await store.complete(companyID: companyID, endpoint: endpoint, subscription: subscription, secret: Secret(secret), key: tokenKey)
        }
    }

    static func signed(id: String, body: [UInt8], secret: String, timestamp: Int64 = Int64(Date().timeIntervalSince1970)) throws -> [(String, String)] {
        let signer = try WebhookSignature(secrets: [Secret(secret)])
        return [
            ("webhook-id", id), ("webhook-timestamp", String(timestamp)),
            ("webhook-signature", signer.sign(id: id, timestamp: timestamp, body: body)), ("content-type", "application/json"),
        ]
    }

    static func post(_ http: HTTPClient, _ url: String, body: [UInt8], headers: [(String, String)]) async throws -> Int {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await http.execute(request, timeout: .seconds(120))
        _ = try await response.body.collect(upTo: 1 << 20)
        return Int(response.status.code)
    }

    static func get(_ http: HTTPClient, _ url: String) async throws -> Int {
        let response = try await http.execute(HTTPClientRequest(url: url), timeout: .seconds(120))
        _ = try await response.body.collect(upTo: 1 << 20)
        return Int(response.status.code)
    }

    static func count(_ database: PostgresConfiguration, _ sql: String) async throws -> Int {
        try await PostgresConnection.withConnection(database, logger: quietLogger) {
            try await $0.execute(sql).rows[0]["n"].decode(Int.self)
        }
    }

    // MARK: - Start without the API

    @Test("with the API refusing connections serve listens, answers /healthz and stores a signed delivery; the row is processed once the API answers")
    func startsWithoutAPI() async throws {
        try await TestDatabase.withFreshDatabase { database in
            let logger = quietLogger
            try await PostgresConnection.withConnection(database, logger: logger) { _ = try await Schema.migrate(on: $0, logger: logger) }
            let simulator = Simulator(configuration: ServerHarness.smallAccount())
            // A port the API will listen on later: bound once and released, so connections are refused meanwhile.
            let apiPort = try await simulator.withServer { Int(simulator.baseURL.split(separator: ":").last!)! }
            let companyID = simulator.configuration.companyID
            let secret = Self.newSecret()
            try await Self.storeSubscription(database: database, companyID: companyID, id: "wh_1", endpoint: "sub_start", secret: secret)

            // The simulator's URL is where it listened and will listen again.
            let api = try UnderstoryConfiguration.forSimulator(
                simulator, rateLimitWait: .seconds(1),
                retry: RetryPolicy(maxAttempts: 2, totalBudget: .seconds(5), baseDelay: .milliseconds(5), maxDelay: .milliseconds(20))
            )
            try await withHTTPClient(api) { http in
                let client = UnderstoryClient(configuration: api, httpClient: http, logger: logger)
                let company = InternalCompany(logger: logger) {
                    guard let id = try await client.me(logger: logger).model.companyID else { throw TestFailure("no company_id") }
                    return id
                }
                var configuration = WebhookServer.Configuration()
                configuration.port = 0
                let server = WebhookServer(
                    configuration: configuration, database: database,
                    accounts: WebhookAccounts.internalKey(database: database, key: Self.tokenKey, extraSecret: nil, company: company, logger: logger),
                    worker: InboxWorker(database: database, logger: logger) { _ in client }, services: [company], logger: logger
                )
                try await server.whileRunning { port in
                    try await Self.deliverWhileDown(
                        port: port, http: http, simulator: simulator, apiPort: apiPort, database: database, companyID: companyID, secret: secret
                    )
                }
            }
        }
    }

    static func deliverWhileDown(
        port: Int, http: HTTPClient, simulator: Simulator, apiPort: Int, database: PostgresConfiguration, companyID: String, secret: String
    ) async throws {
        #expect(try await Self.get(http, "http://127.0.0.1:\(port)/healthz") == 200)
        let bookingID = simulator.ids(.bookings)[0]
        let body = ServerHarness.message(type: "v1.booking.updated", key: "booking_id", id: bookingID)
        let status = try await Self.post(
            http, "http://127.0.0.1:\(port)/webhooks/understory/sub_start", body: body, headers: try Self.signed(id: "msg_down", body: body, secret: secret)
        )
        #expect(status == 204)
        #expect(try await Self.count(database, "SELECT count(*) AS n FROM understory.webhook_inbox WHERE company_id = '\(companyID)'") == 1)
        #expect(try await Self.count(database, "SELECT count(*) AS n FROM understory.bookings") == 0)

        // The API comes up where it was configured: the stored delivery is processed.
        try await simulator.withServer(port: apiPort) {
            let processed = try await eventually {
                try await Self.count(database, "SELECT count(*) AS n FROM understory.webhook_inbox WHERE status = 'processed'") == 1
            }
            #expect(processed, "the delivery stored while the API was down is processed once it answers")
            #expect(try await Self.count(database, "SELECT count(*) AS n FROM understory.bookings WHERE id = '\(bookingID)'") == 1)
        }
    }

    // MARK: - No amplification

    @Test("50 concurrent forged posts at the body cap against 200 accounts: /healthz keeps answering, PostgreSQL sessions stay within the pool, secrets are loaded once, a valid delivery sent meanwhile is stored")
    func forgedFlood() async throws {
        let clock = VirtualClock()  // frozen unless moved: the reload interval is counted on it, not on the wall
        let loads = Shared(0)
        let secrets = (0..<200).map { _ in Self.newSecret() }
        try await ServerHarness.with(
            holdProcessing: true, clock: clock, configure: {
                $0.connections = 3
                $0.refreshInterval = nil
            },
            accounts: { database, companyID in
                {
                    loads.withLock { $0 += 1 }
                    // A load reads PostgreSQL, as the real one does.
                    try await PostgresConnection.withConnection(database, logger: quietLogger) { _ = try await $0.execute("SELECT pg_sleep(0.05)") }
                    return try (0..<200).map { index in
                        WebhookServer.Account(
                            companyID: index == 0 ? companyID : "company-\(index)", signature: try WebhookSignature(secrets: [Secret(secrets[index])]),
                            endpoints: ["sub_\(index)"], plainPath: false
                        )
                    }
                }
            }
        ) { harness in
            let databaseName = try await harness.query("SELECT current_database() AS name").rows[0]["name"].decode(String.self)
            let cap = WebhookServer.Configuration().maxBodyBytes
            let loadsAtStart = loads.withLock { $0 }
            #expect(loadsAtStart == 1)

            // Forgeries: current timestamps, well-formed signatures, bodies at the cap, on known, unknown and plain paths.
            func forge(_ index: Int) async throws -> Int {
                let body = Array(repeating: UInt8(ascii: "x"), count: cap)
                let endpoint = [nil, "sub_\(index % 200)", "sub_unknown_\(index)"][index % 3]
                let signature = "v1," + Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
                return try await harness.post(
                    body, headers: [("webhook-id", "forged_\(index)"), ("webhook-timestamp", String(Int64(Date().timeIntervalSince1970))), ("webhook-signature", signature)],
                    endpoint: endpoint
                )
            }
            let sessions = Shared(0)
            let stop = Shared(false)
            let monitor = Task {
                try await PostgresConnection.withConnection(harness.database, logger: harness.logger) { connection in
                    while !stop.withLock({ $0 }) {
                        let n = try await connection.execute(
                            "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", [databaseName]
                        ).rows[0]["n"].decode(Int.self)
                        sessions.withLock { $0 = max($0, n) }
                        try await Task.sleep(for: .milliseconds(10))  // Justified: the sampling interval of a monitor, not a wait for a result.
                    }
                }
            }
            // /healthz answers while the flood is under way (how fast is the benchmark's business, not a test's).
            let probes = Task {
                try await withThrowingTaskGroup(of: [Int].self) { group in
                    for _ in 0..<8 {
                        group.addTask {
                            var statuses: [Int] = []
                            for _ in 0..<10 { statuses.append(try await Self.get(harness.http, "http://127.0.0.1:\(harness.port)/healthz")) }
                            return statuses
                        }
                    }
                    return try await group.reduce(into: [Int]()) { $0 += $1 }
                }
            }
            async let flood = withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<50 { group.addTask { try await forge(index) } }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            // The valid delivery is sent while the flood is under way.
            let validBody = ServerHarness.message(type: "v1.booking.updated", key: "booking_id", id: harness.simulator.ids(.bookings)[0])
            let valid = try await harness.post(
                validBody, headers: try Self.signed(id: "msg_valid", body: validBody, secret: secrets[0]), endpoint: "sub_0"
            )
            let statuses = try await flood
            let probeStatuses = try await probes.value
            stop.withLock { $0 = true }
            try await monitor.value

            #expect(statuses.allSatisfy { $0 == 401 }, "\(statuses)")
            #expect(valid == 204)
            #expect(probeStatuses.count == 80 && probeStatuses.allSatisfy { $0 == 200 }, "/healthz under the flood: \(probeStatuses)")
            // The pool (3) plus one secret load at a time.
            #expect(sessions.withLock { $0 } <= 3 + 1, "PostgreSQL sessions of serve: \(sessions.withLock { $0 })")
            #expect(loads.withLock { $0 } == loadsAtStart, "the reload interval has not passed on the server's clock: no reload")
            #expect(try await harness.count("webhook_inbox") == 1)

            // Past the interval, 20 concurrent posts to unknown endpoints share one reload.
            clock.advance(by: .seconds(2))
            let again = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<20 { group.addTask { try await forge(3 * index + 2) } }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(again.allSatisfy { $0 == 401 })
            #expect(loads.withLock { $0 } == loadsAtStart + 1, "single-flight: one load for 20 unknown endpoints")
        }
    }

    @Test("a failed secret load counts toward the reload interval too: concurrent and repeated reloads load once, then 503 until the next")
    func failedLoadIsRateLimited() async throws {
        let clock = VirtualClock()
        let loads = Shared(0)
        let cache = AccountCache(
            load: {
                loads.withLock { $0 += 1 }
                throw TestFailure("PostgreSQL is down")
            },
            minimumInterval: .seconds(1), clock: clock, logger: quietLogger
        )
        await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<20 { group.addTask { await cache.reload() } }
            for await worked in group { #expect(!worked) }
        }
        await cache.reload()
        #expect(loads.withLock { $0 } == 1)
        guard case .unknown(loadFailed: true) = await cache.account(endpoint: "sub_x") else {
            Issue.record("a failed load must answer 503, not 401")
            return
        }
        clock.advance(by: .seconds(1))
        await cache.reload()
        #expect(loads.withLock { $0 } == 2)
    }

    @Test("each subscription's path verifies with its own account only; the plain path serves only a single account")
    func perSubscriptionPaths() async throws {
        let secretA = Self.newSecret(), secretB = Self.newSecret()
        try await ServerHarness.with(
            holdProcessing: true,
            accounts: { _, companyID in
                {
                    [
                        WebhookServer.Account(companyID: companyID, signature: try WebhookSignature(secrets: [Secret(secretA)]), endpoints: ["sub_a"], plainPath: true),
                        WebhookServer.Account(companyID: "company-b", signature: try WebhookSignature(secrets: [Secret(secretB)]), endpoints: ["sub_b"], plainPath: true),
                    ]
                }
            }
        ) { harness in
            let body = ServerHarness.message(type: "v1.booking.updated", key: "booking_id", id: "b1")
            let headers1 = try Self.signed(id: "m1", body: body, secret: secretB)
            #expect(try await harness.post(body, headers: headers1, endpoint: "sub_b") == 204)
            let headers2 = try Self.signed(id: "m2", body: body, secret: secretA)
            #expect(try await harness.post(body, headers: headers2, endpoint: "sub_b") == 401, "A's secret on B's path")
            let headers3 = try Self.signed(id: "m3", body: body, secret: secretA)
            #expect(try await harness.post(body, headers: headers3, endpoint: "sub_zz") == 401, "unknown endpoint")
            let headers4 = try Self.signed(id: "m4", body: body, secret: secretA)
            #expect(try await harness.post(body, headers: headers4) == 401, "two accounts claim the plain path")
            #expect(try await harness.count("webhook_inbox") == 1)
            #expect(try await harness.count("webhook_inbox", where: "company_id = 'company-b' AND webhook_id = 'm1'") == 1)
        }
    }

    @Test("a secret that does not open is logged by subscription id and skipped; the other subscriptions are served")
    func unreadableSecretSkipped() async throws {
        let good = Self.newSecret()
        let capture = LogCapture()
        try await ServerHarness.with(
            holdProcessing: true, configure: { $0.reloadInterval = .zero },
            accounts: { database, companyID in
                WebhookAccounts.internalKey(
                    database: database, key: Self.tokenKey, extraSecret: nil,
                    company: InternalCompany(logger: quietLogger) { companyID }, logger: capture.logger()
                )
            }
        ) { harness in
            // Stored before the server's next load: a good subscription and one whose sealed secret was altered.
            try await Self.storeSubscription(database: harness.database, companyID: harness.companyID, id: "wh_good", endpoint: "sub_good", secret: good)
            try await Self.storeSubscription(database: harness.database, companyID: harness.companyID, id: "wh_bad", endpoint: "sub_bad", secret: Self.newSecret())
            try await harness.query(
                "UPDATE understory.webhook_subscriptions SET secret_sealed = overlay(secret_sealed PLACING '\\xff'::bytea FROM 20 FOR 1) WHERE id = 'wh_bad'"
            )
            let body = ServerHarness.message(type: "v1.booking.updated", key: "booking_id", id: "b1")
            let headers5 = try Self.signed(id: "m1", body: body, secret: good)
            #expect(try await harness.post(body, headers: headers5, endpoint: "sub_good") == 204)
            let headers6 = try Self.signed(id: "m2", body: body, secret: good)
            #expect(try await harness.post(body, headers: headers6, endpoint: "sub_bad") == 401)
            #expect(capture.lines.contains { $0.contains("subscription=wh_bad") && $0.contains("does not open") }, "\(capture.lines)")
            #expect(!capture.lines.contains { $0.contains("wh_good") })
        }
    }

    // MARK: - webhooks subscribe

    @Test("webhooks subscribe stores a pending row first: a database error before the API call makes no subscription, one after it deletes the subscription again")
    func subscribeNeverOrphans() async throws {
        var configuration = ServerHarness.smallAccount()
        configuration.clients = [
            SimulatorClient(id: "hook-client", secret: "hook-secret", scopes: SimulatorClient.allReadScopes.union(["webhook.read", "webhook.write"]))
        ]
        try await TestDatabase.withFreshDatabase { database in
            let logger = quietLogger
            try await PostgresConnection.withConnection(database, logger: logger) { _ = try await Schema.migrate(on: $0, logger: logger) }
            try await withSimulator(configuration) { simulator in
                let api = try UnderstoryConfiguration.forSimulator(
                    simulator, scopes: UnderstoryConfiguration.Default.scopes + ["webhook.read", "webhook.write"], rateLimitWait: .seconds(1)
                )
                try await UnderstoryClient.withClient(api, logger: logger) { client in
                    let companyID = simulator.configuration.companyID
                    func subscribe() async throws -> WebhookSubscription {
                        try await WebhookSubscribing.subscribe(
                            companyID: companyID, baseURL: "https://sync.example/webhooks/understory", eventTypes: ["v1.booking.updated"],
                            client: client, database: database, key: Self.tokenKey, logger: logger
                        )
                    }
                    func execute(_ sql: String) async throws {
                        try await PostgresConnection.withConnection(database, logger: logger) { _ = try await $0.execute(sql) }
                    }
                    try await execute("CREATE FUNCTION understory.refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$")

                    // The database refuses the pending row: the API is never asked.
                    try await execute("CREATE TRIGGER refuse_insert BEFORE INSERT ON understory.webhook_subscriptions FOR EACH ROW EXECUTE FUNCTION understory.refuse()")
                    await #expect(throws: PostgresError.self) { try await subscribe() }
                    #expect(simulator.webhookSubscriptions().isEmpty)
                    try await execute("DROP TRIGGER refuse_insert ON understory.webhook_subscriptions")

                    // The database refuses to complete the row after the API created the subscription: it is deleted again.
                    try await execute("CREATE TRIGGER refuse_update BEFORE UPDATE ON understory.webhook_subscriptions FOR EACH ROW EXECUTE FUNCTION understory.refuse()")
                    await #expect(throws: PostgresError.self) { try await subscribe() }
                    #expect(simulator.webhookSubscriptions().isEmpty, "no subscription left in the API without its secret stored")
                    #expect(try await Self.count(database, "SELECT count(*) AS n FROM understory.webhook_subscriptions") == 0)
                    try await execute("DROP TRIGGER refuse_update ON understory.webhook_subscriptions")

                    // Nothing refused: the row is complete and the registered URL ends with its endpoint.
                    let created = try await subscribe()
                    let remote = try #require(simulator.webhookSubscriptions().first)
                    #expect(remote.id == created.id)
                    let endpoint = try #require(WebhookSubscriptionStore.endpoint(ofURL: remote.url))
                    #expect(remote.url == "https://sync.example/webhooks/understory/" + endpoint)
                    let stored = try await PostgresConnection.withConnection(database, logger: logger) {
                        try await WebhookSubscriptionStore(connection: $0).secrets(key: Self.tokenKey, logger: logger)
                    }
                    #expect(stored.map(\.subscriptionID) == [created.id])
                    #expect(stored.first?.endpoint == endpoint)
                    #expect(stored.first?.secret.revealed == remote.secret)
                }
            }
        }
    }

    // MARK: - Lost connections

    @Test("after serve's PostgreSQL backends are terminated, /healthz answers 200 and a delivery is stored, on new connections")
    func survivesTerminatedBackends() async throws {
        try await ServerHarness.with(holdProcessing: true) { harness in
            let base = "http://127.0.0.1:\(harness.port)"
            #expect(try await Self.get(harness.http, base + "/healthz") == 200)
            let body = ServerHarness.message(type: "v1.booking.updated", key: "booking_id", id: "b1")
            let before = try harness.signedHeaders(id: "before", body: body)
            #expect(try await harness.post(body, headers: before) == 204)
            let terminated = try await harness.query(
                "SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).rows[0]["n"].decode(Int.self)
            #expect(terminated >= 1)
            #expect(try await Self.get(harness.http, base + "/healthz") == 200)
            let after = try harness.signedHeaders(id: "after", body: body)
            #expect(try await harness.post(body, headers: after) == 204)
            #expect(try await harness.count("webhook_inbox") == 2)
        }
    }

    @Test("at shutdown, work stuck where cancellation does not reach is cancelled after the grace and not waited for")
    func abandonsStuckWorkAtShutdown() async throws {
        let clock = VirtualClock()
        let release = Once<Void>()
        let cancelled = Shared(false)
        await testGracefulShutdown { trigger in
            let task = Task {
                try await abandonAfterShutdown(grace: .seconds(10), clock: clock) {
                    // Ignores cancellation, as a shared token refresh retrying against a dead API does.
                    await withTaskCancellationHandler {
                        await release.value
                    } onCancel: {
                        cancelled.withLock { $0 = true }
                    }
                }
            }
            trigger.triggerGracefulShutdown()
            await #expect(throws: CancellationError.self) { try await task.value }
            #expect(cancelled.withLock { $0 }, "the abandoned work was told to stop")
            #expect(clock.sleeps == [.seconds(10)], "it had the grace first")
        }
        release.resolve(())
    }

    @Test("the ring's connect back-off doubles from 100 ms and is capped at 5 s; the worker's restart back-off from 1 s to 60 s")
    func backoffs() {
        #expect(ConnectionRing.backoff(afterFailures: 1) == .milliseconds(100))
        #expect(ConnectionRing.backoff(afterFailures: 3) == .milliseconds(400))
        #expect(ConnectionRing.backoff(afterFailures: 20) == .seconds(5))
        #expect(WorkerService.backoff(afterFailures: 1) == .seconds(1))
        #expect(WorkerService.backoff(afterFailures: 4) == .seconds(8))
        #expect(WorkerService.backoff(afterFailures: 30) == .seconds(60))
    }
}

/// A value shared between a test and the tasks or closures it starts.
final class Shared<Value: Sendable>: Sendable {
    private let value: Mutex<Value>
    init(_ value: Value) { self.value = Mutex(value) }
    func withLock<R: Sendable>(_ body: (inout Value) -> R) -> R { value.withLock { body(&$0) } }
}
