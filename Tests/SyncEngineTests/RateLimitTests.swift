import Foundation
import SyncEngine
import SyncTestSupport
import Testing
import UnderstoryAPI
import UnderstorySimulator

/// A real limiter in the simulator (a token bucket per client, 429 without Retry-After), its rate
/// unknown to the client: over loopback HTTP and into a real PostgreSQL.
@Suite("an unknown rate limit: found, not fought")
struct RateLimitTests {
    @Test("a first sync under a token bucket of 20 requests/s (burst 10) stores everything; few of its requests are refused")
    func firstSyncUnderBucket() async throws {
        // Virtual time adds up every concurrent wait, so the retry budget is the only thing made generous.
        let retry = RetryPolicy(maxAttempts: 8, totalBudget: .seconds(86_400), baseDelay: .milliseconds(20), maxDelay: .milliseconds(200))
        try await SyncHarness.with(retry: retry) { harness in
            harness.simulator.updateFaults { $0.rateLimiter = RateLimiter(rate: 20, burst: 10) }
            let summary = try await harness.runner.sync(SyncHarness.options())
            #expect(summary.succeeded, "\(summary.failures)")
            try await harness.expectEqualToTruth()
            let requests = harness.simulator.requestCount(pathPrefix: "/v1/")
            let refused = harness.simulator.requestCount(pathPrefix: "/v1/", status: 429)
            #expect(refused > 0, "the limit was met")
            #expect(Double(refused) <= 0.05 * Double(requests), "\(refused) of \(requests) answered 429")
            #expect(await harness.client.tokens.grantedScopes != nil)
        }
    }
}
