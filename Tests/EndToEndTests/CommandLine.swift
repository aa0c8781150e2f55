import Foundation
import PostgresClient
import SyncTestSupport
import Testing
import UnderstorySimulator

/// Runs the built `understory-sync` binary as a user would, and captures what it prints.
struct CommandLineRun: Sendable {
    var status: Int32
    var stdout: String
    var stderr: String
    var output: String { stdout + stderr }
}

enum UnderstorySyncBinary {
    /// The executable next to the test bundle (both are products of the same build).
    static var url: URL {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
            Bundle.main.bundleURL,
            Bundle.main.bundleURL.deletingLastPathComponent(),
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent(".build/debug"),
        ]
        for directory in candidates {
            let binary = directory.appendingPathComponent("understory-sync")
            if FileManager.default.isExecutableFile(atPath: binary.path) { return binary }
        }
        return candidates[0].appendingPathComponent("understory-sync")
    }

    /// Starts the binary; the caller waits or kills it.
    static func start(_ arguments: [String], environment: [String: String]) throws -> ChildProcess {
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("UNDERSTORY_") && $0.key != "DATABASE_URL" }
        env.merge(environment) { $1 }
        return try ChildProcess.start(url.path, arguments, environment: env)
    }

    /// Runs the binary to completion.
    static func run(_ arguments: [String], environment: [String: String]) async throws -> CommandLineRun {
        await finish(try start(arguments, environment: environment))
    }

    /// Waits for a started process to exit; what it printed.
    static func finish(_ process: ChildProcess) async -> CommandLineRun {
        let status = await process.exit()
        return CommandLineRun(status: status, stdout: process.stdout, stderr: process.stderr)
    }
}

/// A simulator plus a fresh database, with the environment that points the binary at both.
struct CommandLineWorld: Sendable {
    let simulator: Simulator
    let database: PostgresConfiguration
    let databaseURL: String

    var environment: [String: String] {
        simulator.environment().merging(["DATABASE_URL": databaseURL, "UNDERSTORY_RATE_LIMIT_WAIT": "1"]) { $1 }
    }

    func run(_ arguments: String..., environment extra: [String: String] = [:]) async throws -> CommandLineRun {
        try await UnderstorySyncBinary.run(arguments, environment: environment.merging(extra) { $1 })
    }

    func query(_ sql: String) async throws -> PostgresResult {
        try await PostgresConnection.withConnection(database, logger: quietLogger) { try await $0.execute(sql) }
    }

    static func with(
        _ configuration: SimulatorConfiguration = CommandLineWorld.account(), migrated: Bool = true,
        _ body: (CommandLineWorld) async throws -> Void
    ) async throws {
        try await TestDatabase.withFreshDatabase { database in
            try await withSimulator(configuration) { simulator in
                let world = CommandLineWorld(simulator: simulator, database: database, databaseURL: database.connectionString!)
                if migrated {
                    let migrate = try await world.run("migrate")
                    #expect(migrate.status == 0, "\(migrate.output)")
                }
                try await body(world)
            }
        }
    }

    static func account() -> SimulatorConfiguration {
        .smallAccount(seed: 3, bookings: 300, orders: 80, events: 40, experiences: 6, futureDays: 100)
    }
}
