import Foundation
import Testing
import UnderstorySimulator

@Suite("admin")
struct AdminTests {
    @Test("admin endpoints are 404 unless enabled")
    func offByDefault() async throws {
        try await withSimulator(smallConfiguration()) { sim in
            try await SimClient.with(sim) { http in
                let stats = try await http.send(.get, "/_admin/stats")
                let mutate = try await http.send(.post, "/_admin/mutate")
                #expect(stats.status == 404)
                #expect(mutate.status == 404)
            }
        }
    }

    @Test("admin mutate, truth, stats and faults work over HTTP when enabled")
    func enabled() async throws {
        var config = smallConfiguration()
        config.adminEnabled = true
        try await withSimulator(config) { sim in
            try await SimClient.with(sim) { http in
                let before = sim.truth().bookings.count
                let mutate = try await http.send(.post, "/_admin/mutate?updates=2&creates=3&cancels=1&resources=bookings")
                #expect(mutate.status == 200)
                #expect(((try mutate.json())["created"] as? [String: Any])?["bookings"] as? [String] != nil)
                #expect(sim.truth().bookings.count == before + 3)

                let truth = try await http.send(.get, "/_admin/truth?resource=bookings")
                #expect((try truth.json())["count"] as? Int == before + 3)
                let summary = try await http.send(.get, "/_admin/truth")
                #expect(((try summary.json())["orders"] as? [String: Any])?["count"] as? Int == 60)

                let faults = try await http.send(.post, "/_admin/faults?rate_limit_every=2&retry_after=5&unstable_paging=true")
                #expect((try faults.json())["rate_limit_every"] as? Int == 2)
                #expect(sim.faults.rateLimitEveryN == 2)
                #expect(sim.faults.retryAfterSeconds == 5)
                #expect(sim.faults.unstablePaging)
                _ = try await http.send(.post, "/_admin/faults?rate_limit_every=none")
                #expect(sim.faults.rateLimitEveryN == nil)

                let stats = try await http.send(.get, "/_admin/stats")
                let requests = (try stats.json())["requests"] as? [String: Any]
                #expect(requests?["/_admin/mutate"] != nil)
            }
        }
    }
}
