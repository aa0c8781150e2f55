import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import PostgresClient
import SyncEngine
import SyncTestSupport
import Testing
import UnderstoryAPI
import UnderstorySimulator

/// Third-party mode's world: a fresh migrated database, a simulator with two companies whose record
/// ids coincide (content differs), the simulator's app credentials, and a "browser" that follows
/// the authorize redirect to the loopback listener.
struct AccountHarness: Sendable {
    let simulator: Simulator
    let database: PostgresConfiguration
    let api: UnderstoryConfiguration
    let http: HTTPClient
    let key: TokenKey
    let logger: Logger

    static let secondCompany = "c0mp4ny-5eed-4b1d-9e11-0000000000b2"

    /// Two small companies; the second shares the first's record ids (`idSeed`), not its content.
    static func twoCompanies() -> SimulatorConfiguration {
        var configuration = SyncHarness.smallAccount(seed: 11)
        configuration.additionalCompanies = [
            SimulatorCompany(id: secondCompany, name: "Second Tours AS", seed: 12, idSeed: configuration.seed)
        ]
        return configuration
    }

    static func with(_ configuration: SimulatorConfiguration = twoCompanies(), _ body: (AccountHarness) async throws -> Void) async throws {
        try await TestDatabase.withFreshDatabase { database in
            try await PostgresConnection.withConnection(database, logger: quietLogger) { connection in
                _ = try await Schema.migrate(on: connection, logger: quietLogger)
            }
            try await withSimulator(configuration) { simulator in
                let app = try #require(simulator.configuration.apps.first)
                let api = try UnderstoryConfiguration.forSimulator(
                    simulator, clientID: app.id, secret: app.secret, rateLimitWait: .seconds(1),
                    retry: RetryPolicy(maxAttempts: 8, totalBudget: .seconds(120), baseDelay: .milliseconds(20), maxDelay: .milliseconds(200))
                )
                // The "browser" sees the authorize redirect rather than following it (the API configuration's client disallows redirects).
                try await withHTTPClient(api) { http in
                    try await body(
                        AccountHarness(
                            simulator: simulator, database: database, api: api, http: http,
                            key: try TokenKey(bytes: (0..<32).map { UInt8($0 * 3 % 256) }), logger: quietLogger
                        )
                    )
                }
            }
        }
    }

    var accountSync: AccountSync {
        let api = self.api, http = self.http, logger = self.logger
        return AccountSync(database: database, key: key, logger: logger) { grant in
            UnderstoryClient(configuration: api, httpClient: http, logger: logger, grant: grant)
        }
    }

    /// Runs `accounts connect` for `company` (nil = the primary), as a browser would: open the
    /// authorize URL, follow its redirect to the listener. `tamper` may rewrite the redirect URL.
    func connect(company: String? = nil, tamper: (@Sendable (String) -> String)? = nil) async throws -> Account {
        simulator.setConsent(.approve(companyID: company))
        let client = UnderstoryClient(configuration: api, httpClient: http, logger: logger)
        let http = self.http
        let browser = BrowserTask()
        do {
            let account = try await AccountConnector(database: database, client: client, key: key, logger: logger).connect(
                redirect: .init(), timeout: AccountHarness.bound
            ) { url, _ in
                browser.start { try await Self.follow(url, http: http, tamper: tamper) }
            }
            try await browser.finish()
            return account
        } catch {
            try? await browser.finish()
            throw error
        }
    }

    /// How long a browser step or the wait for the redirect may take: a bound against a hang, never a
    /// measurement, as generous as ``eventually(within:_:)``'s (10 s was outlasted when 300 tests ran at
    /// once on two cores: `HTTPClientError.deadlineExceeded`).
    static let bound = Duration.seconds(120)
    static let requestBound = TimeAmount.seconds(120)

    /// GETs the authorize URL, then the redirect it answers with. Returns the redirect location.
    @discardableResult
    static func follow(_ url: String, http: HTTPClient, tamper: (@Sendable (String) -> String)?) async throws -> String {
        let authorize = try await http.execute(HTTPClientRequest(url: url), timeout: AccountHarness.requestBound)
        #expect(authorize.status == .found || authorize.status == .seeOther, "the authorize endpoint should redirect")
        let location = try #require(authorize.headers.first(name: "Location"))
        let target = tamper?(location) ?? location
        _ = try await http.execute(HTTPClientRequest(url: target), timeout: AccountHarness.requestBound)
        return target
    }

    @discardableResult
    func query(_ sql: String, _ parameters: [(any PostgresEncodable)?] = []) async throws -> PostgresResult {
        try await PostgresConnection.withConnection(database, logger: logger) { try await $0.execute(sql, parameters) }
    }

    func accounts() async throws -> [Account] {
        try await PostgresConnection.withConnection(database, logger: logger) { try await AccountStore(connection: $0).list() }
    }

    /// Per resource, differences between the company's rows and that company's truth.
    func differences(company: String) async throws -> [String] {
        var all = [String]()
        for resource in [SimulatorResource.bookings, .orders, .events, .experiences] {
            let diff = try await TruthCheck.differences(
                simulator: simulator, database: database, resource: resource, table: resource.rawValue, company: company
            )
            all += diff.map { "\(resource): \($0)" }
        }
        return all
    }
}

/// The "browser" runs beside the connector (which is waiting for the redirect it triggers).
final class BrowserTask: @unchecked Sendable {
    // Invariant: `task` is only touched while `lock` is held.
    private let lock = NSLock()
    private var task: Task<Void, any Error>?

    func start(_ work: @escaping @Sendable () async throws -> Void) {
        lock.withLock { task = Task { try await work() } }
    }

    func finish() async throws {
        try await lock.withLock { task }?.value
    }
}
