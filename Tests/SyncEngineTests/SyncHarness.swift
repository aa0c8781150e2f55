import AsyncHTTPClient
import Foundation
import Logging
import PostgresClient
import SyncEngine
import Testing
import UnderstoryAPI
import UnderstorySimulator
import SyncTestSupport

/// One test's world: a fresh database (migrated), a simulator on a free loopback port, and a
/// `SyncRunner` wired to both. Everything is torn down afterwards, so tests run in parallel.
struct SyncHarness: Sendable {
    let simulator: Simulator
    let database: PostgresConfiguration
    let client: UnderstoryClient
    let logger: Logger
    /// The time line of `simulator` and `client`.
    let clock: VirtualClock

    var runner: SyncRunner { SyncRunner(database: database, client: client, logger: logger) }

    /// A small, fast account whose events all fall inside the default event window.
    static func smallAccount(seed: UInt64 = 7) -> SimulatorConfiguration {
        .smallAccount(seed: seed)
    }

    /// Sync options whose event window covers every generated event, so tables can equal the truth.
    static func options() -> SyncOptions {
        var options = SyncOptions()
        options.eventsPastDays = 3650
        return options
    }

    /// The simulator and the API client share `clock`: back-off, `Retry-After` waits, the
    /// `latency` fault and every token and cursor lifetime run on virtual time, never on the wall clock.
    static func with(
        _ configuration: SimulatorConfiguration = smallAccount(),
        retry: RetryPolicy = RetryPolicy(maxAttempts: 8, totalBudget: .seconds(120), baseDelay: .milliseconds(20), maxDelay: .milliseconds(200)),
        clock: VirtualClock = VirtualClock(),
        scopes: [String] = UnderstoryConfiguration.Default.scopes,
        _ body: (SyncHarness) async throws -> Void
    ) async throws {
        var configuration = configuration
        configuration.clock = clock
        try await TestDatabase.withFreshDatabase { database in
            try await PostgresConnection.withConnection(database, logger: quietLogger) { connection in
                _ = try await Schema.migrate(on: connection, logger: quietLogger)
            }
            try await withSimulator(configuration) { simulator in
                let api = try UnderstoryConfiguration.forSimulator(simulator, scopes: scopes, rateLimitWait: .seconds(1), retry: retry)
                try await withHTTPClient(api) { http in
                    let client = UnderstoryClient(configuration: api, httpClient: http, logger: quietLogger, clock: clock)
                    try await body(SyncHarness(simulator: simulator, database: database, client: client, logger: quietLogger, clock: clock))
                }
            }
        }
    }

    @discardableResult
    func query(_ sql: String, _ parameters: [(any PostgresEncodable)?] = []) async throws -> PostgresResult {
        try await PostgresConnection.withConnection(database, logger: logger) { try await $0.execute(sql, parameters) }
    }

    func count(_ table: String, where condition: String = "true") async throws -> Int {
        try await query("SELECT count(*) AS n FROM understory.\(table) WHERE \(condition)").rows[0]["n"].decode(Int.self)
    }

    func differences(_ resource: SimulatorResource, table: String, absent: Set<String> = []) async throws -> [String] {
        try await TruthCheck.differences(simulator: simulator, database: database, resource: resource, table: table, absent: absent)
    }

    /// Checks every synced table (and the order children) against the truth. Items in `absent`
    /// (rejected on purpose) must not be stored, nor their children.
    func expectEqualToTruth(
        _ resources: [SimulatorResource] = [.bookings, .orders, .events, .experiences], absent: [SimulatorResource: Set<String>] = [:],
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        for resource in resources {
            let diff = try await differences(resource, table: resource.rawValue, absent: absent[resource] ?? [])
            #expect(diff.isEmpty, "\(resource) differs from the simulator: \(diff)", sourceLocation: sourceLocation)
        }
        if resources.contains(.orders) {
            var truth = simulator.truth()
            for id in absent[.orders] ?? [] {
                truth.orderLineItems[id] = nil
                truth.orderRefunds[id] = nil
                truth.orderTransactions[id] = nil
            }
            let expectedLines = truth.orderLineItems.values.reduce(0) { $0 + $1.count }
            let expectedRefunds = truth.orderRefunds.values.reduce(0) { $0 + $1.count }
            let expectedTransactions = truth.orderTransactions.values.reduce(0) { $0 + $1.count }
            #expect(try await count("order_line_items") == expectedLines, sourceLocation: sourceLocation)
            #expect(try await count("order_refunds") == expectedRefunds, sourceLocation: sourceLocation)
            #expect(try await count("order_transactions") == expectedTransactions, sourceLocation: sourceLocation)
            // Line items match the truth byte for byte (as jsonb), per order and position.
            let mismatched = try await PostgresConnection.withConnection(database, logger: logger) { connection in
                try await connection.execute("CREATE TEMP TABLE truth_lines (order_id text, line_number int, raw jsonb)")
                try await connection.copyIn("COPY truth_lines FROM STDIN") { writer in
                    for (orderID, lines) in truth.orderLineItems {
                        for (index, line) in lines.enumerated() {
                            try await writer.appendRow([orderID, String(index + 1), TruthCheck.storable(String(decoding: line, as: UTF8.self))])
                        }
                    }
                }
                return try await connection.execute(
                    """
                    SELECT count(*) AS n FROM (
                      (SELECT order_id, line_number, raw FROM truth_lines EXCEPT SELECT order_id, line_number, raw FROM understory.order_line_items)
                      UNION ALL
                      (SELECT order_id, line_number, raw FROM understory.order_line_items EXCEPT SELECT order_id, line_number, raw FROM truth_lines)
                    ) d
                    """
                ).rows[0]["n"].decode(Int.self)
            }
            #expect(mismatched == 0, "order line items differ from the simulator", sourceLocation: sourceLocation)
        }
    }
}

