import AsyncHTTPClient
import Foundation
import Testing
import UnderstorySimulator

import SyncTestSupport
@testable import UnderstoryAPI

@Suite("Retries over HTTP")
struct RetryHTTPTests {
    static let small = SimulatorConfiguration(seed: 5, bookings: 30, orders: 30, events: 10, experiences: 5)

    @Test("429 with Retry-After: 1 is honoured: the wait is observed and the API is not hammered")
    func retryAfterHonoured() async throws {
        var config = Self.small
        config.faults.rateLimitEveryN = 2
        config.faults.retryAfterSeconds = 1
        let clock = VirtualClock()
        try await withSimulatorClient(config, clock: clock) { sim, client in
            _ = try await client.me()  // API request 1: fine
            _ = try await client.me()  // request 2: 429 Retry-After 1, request 3: fine
            // The client waited what the server asked (on the injected clock), and no longer.
            #expect(clock.sleeps.reduce(.zero, +) >= .milliseconds(990))
            #expect(clock.sleeps.reduce(.zero, +) < .seconds(2), "\(clock.sleeps)")
            #expect(sim.requestCount(pathPrefix: "/v1/me", status: 429) == 1)
            #expect(sim.requestCount(pathPrefix: "/v1/me") == 3)
            #expect(client.statistics.rateLimited == 1)
            #expect(client.statistics.retries == 1)
        }
    }

    @Test("429 without Retry-After, adaptive rate off: waits the configured rate-limit wait every time")
    func configuredWait() async throws {
        var config = Self.small
        config.faults.rateLimitEveryN = 2
        let clock = VirtualClock()
        try await withSimulatorClient(config, clock: clock, adjust: { $0.adaptiveRate = false }) { sim, client in
            let items = try await client.bookings(ListQuery(limit: 10)).collectItems()
            #expect(items.count == 30)
            #expect(!clock.sleeps.isEmpty)
            #expect(clock.sleeps.allSatisfy { $0 == .seconds(60) })
            #expect(client.statistics.rateLimited == sim.requestCount(pathPrefix: "/v1", status: 429))
        }
    }

    @Test("429 without Retry-After, adaptive rate on: a brief back-off (never the whole rate-limit wait), then paced turns")
    func adaptiveWait() async throws {
        var config = Self.small
        config.faults.rateLimitEveryN = 2
        let clock = VirtualClock()
        try await withSimulatorClient(config, clock: clock) { sim, client in
            let items = try await client.bookings(ListQuery(limit: 10)).collectItems()
            #expect(items.count == 30)
            #expect(clock.sleeps.contains(.seconds(1)), "\(clock.sleeps)")
            #expect(clock.sleeps.allSatisfy { $0 < .seconds(60) }, "\(clock.sleeps)")
            #expect(client.statistics.rateLimited == sim.requestCount(pathPrefix: "/v1", status: 429))
        }
    }

    @Test("429s beyond the budget end in .rateLimited after one request, not a loop")
    func rateLimitBudget() async throws {
        var config = Self.small
        config.faults.rateLimitEveryN = 1
        config.faults.retryAfterSeconds = 3600
        let clock = VirtualClock()
        try await withSimulatorClient(config, clock: clock) { sim, client in
            let error = await expectAPIError { _ = try await client.me() }
            #expect(error?.code == .rateLimited)
            #expect(error?.retryAfter == .seconds(3600))
            #expect(error?.status == 429)
            #expect(sim.requestCount(pathPrefix: "/v1/me") == 1)
            #expect(clock.sleeps.isEmpty)
        }
    }

    @Test("a 5xx storm is retried to success with every record delivered")
    func serverErrorStorm() async throws {
        var config = Self.small
        config.faults.errorRate = 0.4
        let clock = VirtualClock()
        try await withSimulatorClient(config, retry: RetryPolicy(maxAttempts: 30, totalBudget: .seconds(3600)), clock: clock) { sim, client in
            let items = try await client.orders(ListQuery(limit: 3)).collectItems()
            #expect(Set(items.map(\.id)) == Set(sim.truth().orders.keys))
            let failures = (500...504).reduce(0) { $0 + sim.requestCount(pathPrefix: "/v1/orders", status: $1) }
            #expect(failures > 0)
            #expect(client.statistics.serverErrors == failures)
            #expect(client.statistics.retries == failures)
            #expect(clock.sleeps.allSatisfy { $0 <= .seconds(30) })
        }
    }

    @Test("retry budget exhausted: a typed error after maxAttempts, naming the status and path")
    func budgetExhausted() async throws {
        var config = Self.small
        config.faults.errorRate = 1
        let clock = VirtualClock()
        try await withSimulatorClient(config, retry: RetryPolicy(maxAttempts: 4), clock: clock) { sim, client in
            let error = await expectAPIError { _ = try await client.orders().collectItems() }
            #expect(error?.code == .retryBudgetExhausted)
            #expect(error?.attempts == 4)
            #expect((500...504).contains(error?.status ?? 0))
            #expect(error?.path == "/v1/orders")
            #expect("\(error.map { "\($0)" } ?? "")".hasPrefix("retry budget exhausted after 4 attempts: last 50"))
            #expect(sim.requestCount(pathPrefix: "/v1/orders") == 4)
            #expect(clock.sleeps.count == 3)
        }
    }

    @Test("the total time budget stops retries before the attempt limit")
    func timeBudget() async throws {
        var config = Self.small
        config.faults.errorRate = 1
        let clock = VirtualClock()
        let policy = RetryPolicy(maxAttempts: 100, totalBudget: .seconds(20), baseDelay: .seconds(4), maxDelay: .seconds(4))
        try await withSimulatorClient(config, retry: policy, clock: clock) { _, client in
            let error = await expectAPIError { _ = try await client.me() }
            #expect(error?.code == .retryBudgetExhausted)
            #expect((error?.attempts ?? 100) < 100)
            #expect(clock.sleeps.reduce(Duration.zero, +) <= .seconds(20))
        }
    }

    @Test("an unreachable server is retried, then reported as .unreachable")
    func unreachable() async throws {
        var configuration = try UnderstoryConfiguration(environment: [
            "UNDERSTORY_CLIENT_ID": "x", "UNDERSTORY_CLIENT_SECRET": "y",
            "UNDERSTORY_API_URL": "http://127.0.0.1:1", "UNDERSTORY_AUTH_URL": "http://127.0.0.1:1",
        ])
        configuration.retry = RetryPolicy(maxAttempts: 3)
        configuration.timeouts = .init(connect: .seconds(2), read: .seconds(2), request: .seconds(5))
        let clock = VirtualClock()
        try await withHTTPClient(configuration) { http in
            let client = UnderstoryClient(configuration: configuration, httpClient: http, logger: quietLogger, clock: clock)
            let error = await expectAPIError { _ = try await client.me() }
            #expect(error?.code == .unreachable)
            #expect(error?.attempts == 3)
            #expect(client.statistics.transportErrors == 3)
            #expect("\(error.map { "\($0)" } ?? "")".hasPrefix("cannot reach the Understory API"))
        }
    }

    @Test("400 and 404 are not retried and carry the API's code and message")
    func notRetried() async throws {
        try await withSimulatorClient(Self.small) { sim, client in
            let bad = await expectAPIError { _ = try await client.bookings(ListQuery(limit: 1000)).collectItems() }
            #expect(bad?.code == .badRequest)
            #expect(bad?.apiCode == "BAD_REQUEST")
            #expect(bad?.apiMessage?.isEmpty == false)
            #expect(sim.requestCount(pathPrefix: "/v1/bookings") == 1)
            let missing = await expectAPIError { _ = try await client.event(id: "does-not-exist") }
            #expect(missing?.code == .notFound)
            #expect(missing?.apiCode == "NOT_FOUND")
            #expect(sim.requestCount(pathPrefix: "/v1/events/") == 1)
        }
    }
}
