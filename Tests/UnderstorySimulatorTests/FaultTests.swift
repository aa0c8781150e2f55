import Foundation
import SyncTestSupport
import Testing
import URLEncoding
import UnderstorySimulator

@Suite("faults")
struct FaultTests {
    @Test("every Nth request is 429; Retry-After only when configured")
    func rateLimitEveryN() async throws {
        var config = smallConfiguration()
        config.faults.rateLimitEveryN = 3
        try await withSimulator(config) { sim in
            try await SimClient.with(sim) { http in
                let token = try await http.token()
                var statuses: [Int] = []
                var retryAfter: [String?] = []
                for _ in 0..<6 {
                    let response = try await http.get("/v1/bookings?limit=1", token: token)
                    statuses.append(response.status)
                    retryAfter.append(response.header("Retry-After"))
                    if response.status == 429 { #expect(response.code == "TOO_MANY_REQUESTS") }
                }
                #expect(statuses == [200, 200, 429, 200, 200, 429])
                #expect(retryAfter.allSatisfy { $0 == nil })

                sim.updateFaults { $0.retryAfterSeconds = 2 }
                var limited: HTTPResult?
                for _ in 0..<3 {
                    let response = try await http.get("/v1/bookings?limit=1", token: token)
                    if response.status == 429 { limited = response }
                }
                #expect(limited?.header("Retry-After") == "2")
                #expect(sim.requestCount(pathPrefix: "/v1/bookings", status: 429) == 3)
                #expect(sim.requestCount(pathPrefix: "/v1/bookings", status: 200) == 6)
                // The token endpoint is never rate limited.
                #expect(sim.requestCount(pathPrefix: "/oauth2/token", status: 200) == 1)
            }
        }
    }

    @Test("requests above K in flight are 429")
    func rateLimitConcurrency() async throws {
        var config = smallConfiguration()
        config.faults.maxConcurrentRequests = 1
        config.faults.retryAfterSeconds = 1
        try await withSimulator(config) { sim in
            let token = try await SimClient.with(sim) { try await $0.token() }
            // All three are admitted (and counted in flight) before any is answered: they wait at the
            // hold, not for a latency that a loaded machine might outlast.
            sim.holdAPIRequests(pathPrefix: "/v1/bookings")
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<3 {
                    group.addTask {
                        try await SimClient.with(sim) { try await $0.get("/v1/bookings?limit=1", token: token).status }
                    }
                }
                #expect(try await eventually { sim.heldAPIRequests == 3 })
                #expect(sim.requestsInFlight == 3)
                sim.releaseAPIRequests()
                var all: [Int] = []
                for try await status in group { all.append(status) }
                return all
            }
            #expect(statuses.sorted() == [200, 429, 429], "the first admitted is answered, the two above the limit are 429")
            #expect(sim.requestsInFlight == 0)
        }
    }

    @Test("the error rate answers that share of requests with 5xx INTERNAL_SERVER_ERROR")
    func serverErrors() async throws {
        var config = smallConfiguration()
        config.faults.errorRate = 1
        try await withSimulator(config) { sim in
            try await SimClient.with(sim) { http in
                let token = try await http.token()
                for _ in 0..<5 {
                    let response = try await http.get("/v1/orders?limit=1", token: token)
                    #expect([500, 502, 503, 504].contains(response.status))
                    #expect(response.code == "INTERNAL_SERVER_ERROR")
                }
                sim.updateFaults { $0.errorRate = 0.5 }
                var failures = 0
                for _ in 0..<60 where try await http.get("/v1/orders?limit=1", token: token).status >= 500 {
                    failures += 1
                }
                #expect(failures > 10 && failures < 50)
                sim.setFaults(.none)
                #expect(try await http.get("/v1/orders?limit=1", token: token).status == 200)
            }
        }
    }

    @Test("latency delays every /v1 response")
    func latency() async throws {
        var config = smallConfiguration()
        config.faults.latency = .milliseconds(150)
        let clock = VirtualClock()
        config.clock = clock
        try await withSimulator(config) { sim in
            try await SimClient.with(sim) { http in
                let token = try await http.token()
                #expect(clock.sleeps.isEmpty, "the token endpoint has no latency")
                #expect(try await http.get("/v1/events?limit=1", token: token).status == 200)
                _ = try await http.get("/v1/events?limit=1", token: token)
                #expect(clock.sleeps == [.milliseconds(150), .milliseconds(150)], "each /v1 response waited the latency on the simulator's clock")
            }
        }
    }
}

@Suite("concurrency")
struct ConcurrencyTests {
    @Test("parallel traversals while data mutates all succeed, and keyset paging never repeats a record")
    func parallelTraversalsWhileMutating() async throws {
        var config = smallConfiguration(bookings: 300, orders: 200)
        // Data moves before every third /v1 request: mutations land between the traversals' pages
        // whatever the scheduling, with no mutator racing them on the wall clock.
        config.faults.mutateEveryNRequests = 3
        config.faults.mutationBatch = MutationBatch(updates: 3, creates: 1, cancels: 1)
        try await withSimulator(config) { sim in
            let token = try await SimClient.with(sim) { try await $0.token() }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (path, sort) in [("/v1/bookings", "-created_at"), ("/v1/orders", "%2Bcreated_at"), ("/v1/bookings", "-created_at"), ("/v1/orders", "-created_at")] {
                    group.addTask {
                        try await SimClient.with(sim) { http in
                            let pages = try await http.pages(path, query: ["sort": PercentEncoding.decode(sort) ?? sort], limit: 13, token: token)
                            let ids = pages.flatMap(\.ids)
                            // created_at never changes, so a keyset traversal by created_at sees each record once.
                            #expect(ids.count == Set(ids).count, "\(path) \(sort)")
                            #expect(ids.count >= 200)
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(sim.requestCount(pathPrefix: "/v1/", status: 200) == sim.requestCount(pathPrefix: "/v1/"))
            #expect(sim.requestsInFlight == 0)
        }
    }
}
