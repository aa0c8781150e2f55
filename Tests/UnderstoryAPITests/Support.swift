import Testing
import AsyncHTTPClient
import Foundation
import Logging
import SyncTestSupport
import UnderstorySimulator

@testable import UnderstoryAPI

/// A simulator plus a client pointed at it; with `clock`, both live on that virtual time line.
func withSimulatorClient<T: Sendable>(
    _ simConfiguration: SimulatorConfiguration = SimulatorConfiguration(seed: 7, bookings: 60, orders: 60, events: 30, experiences: 12),
    secret: String? = nil,
    retry: RetryPolicy = RetryPolicy(),
    clock: VirtualClock? = nil,
    logger: Logger = quietLogger,
    adjust: (inout UnderstoryConfiguration) -> Void = { _ in },
    _ body: (Simulator, UnderstoryClient) async throws -> T
) async throws -> T {
    var simConfiguration = simConfiguration
    if let clock { simConfiguration.clock = clock }
    return try await withSimulator(simConfiguration) { sim in
        var configuration = try UnderstoryConfiguration.forSimulator(sim, secret: secret, retry: retry)
        adjust(&configuration)
        return try await withHTTPClient(configuration) { http in
            let client = UnderstoryClient(configuration: configuration, httpClient: http, logger: logger, clock: clock ?? .system)
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
