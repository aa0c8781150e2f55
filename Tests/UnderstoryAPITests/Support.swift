import Testing
import AsyncHTTPClient
import Foundation
import Logging
import SyncTestSupport
import UnderstorySimulator

@testable import UnderstoryAPI

/// Collects every log line (message + metadata) for assertions; one per test, no bootstrap.
///
/// `@unchecked Sendable` invariant: `storage` is only touched while `lock` is held.
final class LogCapture: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [String] = []

    var lines: [String] {
        lock.lock()
        defer { lock.unlock() }
        return storage
    }

    func append(_ line: String) {
        lock.lock()
        storage.append(line)
        lock.unlock()
    }

    func logger(level: Logger.Level = .trace) -> Logger {
        var logger = Logger(label: "test") { _ in CapturingHandler(capture: self) }
        logger.logLevel = level
        return logger
    }

    struct CapturingHandler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var metadataProvider: Logger.MetadataProvider?
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            let meta = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            capture.append("\(event.level) \(event.message) \(meta) \(event.error.map { "\($0)" } ?? "")")
        }
    }
}

/// A silent logger for tests that do not look at logs.
let quietLogger: Logger = {
    var logger = Logger(label: "understory-api-tests") { _ in SwiftLogNoOpLogHandler() }
    logger.logLevel = .critical
    return logger
}()

extension UnderstoryConfiguration {
    /// Points at a running simulator with its first client's credentials.
    static func forSimulator(_ sim: Simulator, secret: String? = nil, retry: RetryPolicy = RetryPolicy()) throws -> Self {
        var configuration = try UnderstoryConfiguration(environment: [
            "UNDERSTORY_CLIENT_ID": sim.clientID,
            "UNDERSTORY_CLIENT_SECRET": secret ?? sim.clientSecret,
            "UNDERSTORY_API_URL": sim.baseURL,
            "UNDERSTORY_AUTH_URL": sim.baseURL,
        ])
        configuration.retry = retry
        configuration.timeouts = .init(connect: .seconds(5), read: .seconds(30), request: .seconds(30))
        return configuration
    }
}

/// Runs `body` with an `HTTPClient` that is always shut down.
func withTestHTTPClient<T: Sendable>(
    _ configuration: UnderstoryConfiguration? = nil,
    _ body: (HTTPClient) async throws -> T
) async throws -> T {
    try await HTTPClient.withHTTPClient(configuration: configuration?.httpClientConfiguration() ?? HTTPClient.Configuration()) { http in
        try await body(http)
    }
}

/// A simulator plus a client pointed at it; with `clock`, both live on that virtual time line.
func withSimulatorClient<T: Sendable>(
    _ simConfiguration: SimulatorConfiguration = SimulatorConfiguration(seed: 7, bookings: 60, orders: 60, events: 30, experiences: 12),
    secret: String? = nil,
    retry: RetryPolicy = RetryPolicy(),
    clock: VirtualClock? = nil,
    logger: Logger = quietLogger,
    _ body: (Simulator, UnderstoryClient) async throws -> T
) async throws -> T {
    var simConfiguration = simConfiguration
    if let clock { simConfiguration.clock = clock.simulator }
    return try await withSimulator(simConfiguration) { sim in
        let configuration = try UnderstoryConfiguration.forSimulator(sim, secret: secret, retry: retry)
        return try await withTestHTTPClient(configuration) { http in
            let client = UnderstoryClient(configuration: configuration, httpClient: http, logger: logger, clock: clock?.understory ?? .system)
            return try await body(sim, client)
        }
    }
}

/// Runs `body` expecting an `UnderstoryAPIError`; returns it (or records an issue).
func expectAPIError(_ body: () async throws -> Void) async -> UnderstoryAPIError? {
    do {
        try await body()
        return nil
    } catch let error as UnderstoryAPIError {
        return error
    } catch {
        Issue.record("expected UnderstoryAPIError, got \(String(reflecting: error))")
        return nil
    }
}
