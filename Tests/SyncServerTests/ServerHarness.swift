import AsyncHTTPClient
import Foundation
import Synchronization
import Logging
import NIOCore
import PostgresClient
import SyncEngine
import SyncServer
import SyncTestSupport
import ServiceLifecycleTestKit
import Testing
import TimeSource
import UnderstoryAPI
import UnderstorySimulator

/// One test's world: a migrated database, a simulator, an API client, and `serve` on a free port
/// verifying with `secret`. Everything stops afterwards.
struct ServerHarness: Sendable {
    let simulator: Simulator
    let database: PostgresConfiguration
    let client: UnderstoryClient
    let http: HTTPClient
    let port: Int
    let secret: String
    let companyID: String
    let logger: Logger
    /// The secrets `serve` verifies with (it rereads them when a delivery matches none).
    let secrets: SecretList

    var url: String { "http://127.0.0.1:\(port)/webhooks/understory" }

    /// The per-subscription path of `endpoint`.
    func url(endpoint: String) -> String { url + "/" + endpoint }

    static func smallAccount() -> SimulatorConfiguration {
        .smallAccount(seed: 11, bookings: 200, orders: 40, events: 50, experiences: 6)
    }

    static func syncOptions() -> SyncOptions {
        var options = SyncOptions()
        options.eventsPastDays = 3650
        return options
    }

    /// `account` is the simulator's (give it a ``VirtualClock`` as its `clock` to hold its time
    /// windows open until the test moves them); `clock` is the server's.
    static func with(
        account: SimulatorConfiguration = smallAccount(),
        holdProcessing: Bool = false,
        workerOptions: InboxWorker.Options = InboxWorker.Options(),
        secret: String = "whsec_" + Data((0..<24).map { _ in UInt8.random(in: 0...255) }).base64EncodedString(),
        clock: any TimeSource = .system,
        configure: (inout WebhookServer.Configuration) -> Void = { _ in },
        accounts: (@Sendable (_ database: PostgresConfiguration, _ companyID: String) -> @Sendable () async throws -> [WebhookServer.Account])? = nil,
        host: String = "127.0.0.1", statusAccess: StatusAccess? = nil,
        _ body: (ServerHarness) async throws -> Void
    ) async throws {
        try await TestDatabase.withFreshDatabase { database in
            try await PostgresConnection.withConnection(database, logger: quietLogger) { connection in
                _ = try await Schema.migrate(on: connection, logger: quietLogger)
            }
            try await withSimulator(account) { simulator in
                let api = try UnderstoryConfiguration.forSimulator(
                    simulator, rateLimitWait: .seconds(1),
                    retry: RetryPolicy(maxAttempts: 2, totalBudget: .seconds(120), baseDelay: .milliseconds(5), maxDelay: .milliseconds(20))
                )
                try await withHTTPClient(api) { http in
                    let client = UnderstoryClient(configuration: api, httpClient: http, logger: quietLogger)
                    let companyID = simulator.configuration.companyID
                    let worker = InboxWorker(database: database, options: workerOptions, logger: quietLogger) { _ in client }
                    var configuration = WebhookServer.Configuration()
                    configuration.host = host
                    configuration.port = 0
                    configuration.holdProcessing = holdProcessing
                    configure(&configuration)
                    configuration.statusAccess = statusAccess
                    let secrets = SecretList([secret])
                    let single: @Sendable () async throws -> [WebhookServer.Account] = {
                        [.init(companyID: companyID, signature: try WebhookSignature(secrets: secrets.values.map(Secret.init)))]
                    }
                    let server = WebhookServer(
                        configuration: configuration, database: database,
                        accounts: accounts?(database, companyID) ?? single,
                        worker: worker, clock: clock, logger: quietLogger
                    )
                    try await server.whileRunning { port in
                        try await body(
                            ServerHarness(
                                simulator: simulator, database: database, client: client, http: http, port: port, secret: secret,
                                companyID: companyID, logger: quietLogger, secrets: secrets
                            )
                        )
                    }
                }
            }
        }
    }

    /// Subscribes the server to the simulator's webhooks (all types) and lets it verify them.
    @discardableResult
    func subscribe() -> Simulator.WebhookSubscriptionInfo {
        let subscription = simulator.subscribeWebhooks(url: url)
        secrets.append(subscription.secret)
        return subscription
    }

    /// POSTs `body` with the given headers; returns the status.
    func post(_ body: [UInt8], headers: [(String, String)], endpoint: String? = nil) async throws -> Int {
        var request = HTTPClientRequest(url: endpoint.map(url(endpoint:)) ?? url)
        request.method = .POST
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await http.execute(request, timeout: .seconds(120))
        _ = try await response.body.collect(upTo: 1 << 20)
        return Int(response.status.code)
    }

    /// Headers of a correctly signed delivery (with `secret`, at `timestamp`).
    func signedHeaders(id: String, body: [UInt8], secret: String? = nil, timestamp: Int64 = Int64(Date().timeIntervalSince1970)) throws -> [(String, String)] {
        let signer = try WebhookSignature(secrets: [Secret(secret ?? self.secret)])
        return [
            ("webhook-id", id), ("webhook-timestamp", String(timestamp)),
            ("webhook-signature", signer.sign(id: id, timestamp: timestamp, body: body)), ("content-type", "application/json"),
        ]
    }

    static func message(type: String, key: String, id: String) -> [UInt8] {
        Array(#"{"id":"\#(UUID().uuidString.lowercased())","type":"\#(type)","timestamp":"2026-11-30T05:00:00.123456789Z","payload":{"\#(key)":"\#(id)","host_id":"h"}}"#.utf8)
    }

    @discardableResult
    func query(_ sql: String, _ parameters: [(any PostgresEncodable)?] = []) async throws -> PostgresResult {
        try await PostgresConnection.withConnection(database, logger: logger) { try await $0.execute(sql, parameters) }
    }

    func count(_ table: String, where condition: String = "true") async throws -> Int {
        try await query("SELECT count(*) AS n FROM understory.\(table) WHERE \(condition)").rows[0]["n"].decode(Int.self)
    }

    /// Differences from the simulator for bookings, events and experiences (empty = equal).
    func differences() async throws -> [String] {
        var all: [String] = []
        for resource in [SimulatorResource.bookings, .events, .experiences] {
            all += try await TruthCheck.differences(simulator: simulator, database: database, resource: resource, table: resource.rawValue)
                .map { "\(resource): \($0)" }
        }
        return all + (try await childDifferences())
    }

    /// Booking tickets and checkout answers, experience ticket variants and questions missing, extra or different from the
    /// simulator's (an item that changes through a webhook brings its children, as in a sync).
    func childDifferences() async throws -> [String] {
        let truth = simulator.truth()
        let tickets = truth.bookings.keys.flatMap { id in (simulator.bookingTickets(bookingID: id) ?? []).map { (parent: id, json: $0) } }
        let variants = truth.experiences.keys.flatMap { id in
            (simulator.experienceTicketVariants(experienceID: id) ?? []).map { (parent: id, json: $0) }
        }
        let answers = truth.bookings.keys.flatMap { id in (simulator.bookingInformationAnswers(bookingID: id) ?? []).map { (parent: id, json: $0) } }
        let questions = truth.experiences.keys.flatMap { id in
            (simulator.experienceInformationRequests(experienceID: id) ?? []).map { (parent: id, json: $0) }
        }
        let companyID = simulator.configuration.companyID
        return try await TruthCheck.childDifferences(database: database, companyID: companyID, expected: tickets, table: "booking_tickets", parentColumn: "booking_id")
            + (try await TruthCheck.childDifferences(
                database: database, companyID: companyID, expected: variants, table: "experience_ticket_variants", parentColumn: "experience_id"
            ))
            + (try await TruthCheck.childDifferences(database: database, companyID: companyID, expected: answers, table: "booking_information_answers", parentColumn: "booking_id"))
            + (try await TruthCheck.childDifferences(
                database: database, companyID: companyID, expected: questions, table: "experience_information_requests", parentColumn: "experience_id"
            ))
    }

}

/// Secrets shared between a test and its server.
final class SecretList: Sendable {
    private let list: Mutex<[String]>
    init(_ values: [String]) { self.list = Mutex(values) }
    var values: [String] { list.withLock { $0 } }
    func append(_ value: String) { list.withLock { $0.append(value) } }
}

extension WebhookServer {
    /// Runs `body` with the port the server listens on, then stops the server by a graceful
    /// shutdown (whether `body` returns or throws), never by cancelling it: a connection accepted
    /// while it stops is served and closed (apple/swift-nio#2637).
    func whileRunning(_ body: (Int) async throws -> Void) async throws {
        try await testGracefulShutdown { trigger in
            let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
            async let running: Void = {
                defer { continuation.finish() }
                try await self.run(handleSignals: false) { continuation.yield($0) }
            }()
            var iterator = ports.makeAsyncIterator()
            do {
                guard let port = await iterator.next() else { throw TestFailure("the server did not start") }
                try await body(port)
            } catch {
                trigger.triggerGracefulShutdown()
                try? await running
                throw error
            }
            trigger.triggerGracefulShutdown()
            try await running
        }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
