import Foundation
import Logging
import PostgresClient
import UnderstorySimulator

/// Sizes of a seeded account.
struct Dataset: Sendable, CustomStringConvertible {
    var bookings: Int
    var orders: Int
    var events: Int
    var experiences = 12

    static let full = Dataset(bookings: 200_000, orders: 200_000, events: 20_000)
    static let quick = Dataset(bookings: 1_500, orders: 300, events: 200)

    func scaled(_ factor: Double) -> Dataset {
        Dataset(
            bookings: Int(Double(bookings) * factor), orders: Int(Double(orders) * factor),
            events: Int(Double(events) * factor), experiences: experiences
        )
    }

    var description: String { "\(bookings) bookings, \(orders) orders, \(events) events, \(experiences) experiences" }

    var configuration: SimulatorConfiguration {
        var configuration = SimulatorConfiguration(seed: 6, bookings: bookings, orders: orders, events: events, experiences: experiences)
        configuration.adminEnabled = false
        return configuration
    }
}

/// A simulated account served in this process, a fresh database, and the `understory-sync`
/// binary pointed at both. The sync always runs as its own process, so its peak RSS is its own.
struct BenchWorld: Sendable {
    let simulator: Simulator
    let dataset: Dataset
    let databaseURL: String
    let database: PostgresConfiguration

    /// The one logger of the bench process (silent: the tables are the output).
    static let logger = Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }

    var environment: [String: String] {
        [
            "DATABASE_URL": databaseURL,
            "UNDERSTORY_API_URL": simulator.baseURL,
            "UNDERSTORY_AUTH_URL": simulator.baseURL,
            "UNDERSTORY_CLIENT_ID": simulator.clientID,
            "UNDERSTORY_CLIENT_SECRET": simulator.clientSecret,
            "UNDERSTORY_RATE_LIMIT_WAIT": "1",
        ]
    }

    /// Serves `dataset` and creates a migrated database for the time of `body`; drops it afterwards.
    static func with<T>(_ dataset: Dataset, adminURL: String, _ body: (BenchWorld) async throws -> T) async throws -> T {
        try await withDatabase(named: "understory_bench_\(getpid())_\(UInt32.random(in: 0...UInt32.max))", adminURL: adminURL) { url in
            let simulator = Simulator(configuration: dataset.configuration)
            return try await simulator.withServer {
                let world = BenchWorld(simulator: simulator, dataset: dataset, databaseURL: url, database: PostgresConfiguration(connectionString: url))
                _ = try await world.sync(["migrate"])
                return try await body(world)
            }
        }
    }

    /// Creates database `name` on the server of `adminURL` for the time of `body` (given its URL)
    /// and drops it afterwards, whether `body` returns or throws.
    static func withDatabase<T>(named name: String, adminURL: String, _ body: (String) async throws -> T) async throws -> T {
        let admin = PostgresConfiguration(connectionString: adminURL)
        try await PostgresConnection.withConnection(admin, logger: logger) { try await $0.createDatabase(name) }
        let result: Result<T, any Error>
        do {
            result = .success(try await body(url(adminURL, database: name)))
        } catch {
            result = .failure(error)
        }
        try? await PostgresConnection.withConnection(admin, logger: logger) { try await $0.dropDatabase(name) }
        return try result.get()
    }

    /// The same server and credentials, another database.
    static func url(_ url: String, database name: String) -> String {
        PostgresConfiguration(connectionString: url).database(name).connectionString!
    }

    /// Runs `understory-sync ARGS --quiet`; a non-zero exit is an error carrying its output.
    func sync(_ arguments: [String], environment extra: [String: String] = [:]) async throws -> ChildRun {
        let run = try await ChildProcess.run(
            try BinaryFolder.binary("understory-sync"), arguments + ["--quiet"], environment: environment.merging(extra) { $1 }
        )
        guard run.status == 0 else {
            throw BenchError("understory-sync \(arguments.joined(separator: " ")) exited \(run.status): \(run.output.suffix(2000))")
        }
        return run
    }

    /// Runs `understory-sync ARGS --quiet` and returns whatever it exited with.
    func syncAllowingFailure(_ arguments: [String]) async throws -> ChildRun {
        try await ChildProcess.run(try BinaryFolder.binary("understory-sync"), arguments + ["--quiet"], environment: environment)
    }

    func execute(_ sql: String) async throws -> PostgresResult {
        try await PostgresConnection.withConnection(database, logger: Self.logger) { try await $0.execute(sql) }
    }

    func count(_ table: String) async throws -> Int {
        try await execute("SELECT count(*)::bigint AS n FROM understory.\(table)").rows[0]["n"].decode(Int.self)
    }

    /// `/v1` requests answered since the last reset, by resource: `bookings`, `orders` (list),
    /// `order children` (line items, refunds, transactions), `booking tickets`, `events`, `experiences`, `other`.
    func requestsByResource() -> [String: Int] {
        var result: [String: Int] = [:]
        for (path, statuses) in simulator.requestCounts() where path.hasPrefix("/v1/") {
            let count = statuses.values.reduce(0, +)
            let key: String
            if path == "/v1/orders" { key = "orders" }
            else if path.hasPrefix("/v1/orders/") { key = "order children" }
            else if path.hasPrefix("/v1/bookings/") && path.hasSuffix("/tickets") { key = "booking tickets" }
            else if path.hasPrefix("/v1/bookings") { key = "bookings" }
            else if path.hasPrefix("/v1/events") { key = "events" }
            else if path.hasPrefix("/v1/experiences") { key = "experiences" }
            else { key = "other" }
            result[key, default: 0] += count
        }
        return result
    }

    func requestCount(status: Int? = nil) -> Int {
        simulator.requestCount(pathPrefix: "/v1/", status: status)
    }
}
