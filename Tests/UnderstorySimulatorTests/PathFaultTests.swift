import Foundation
import SyncTestSupport
import Testing
import UnderstorySimulator

@Suite("path faults and the 404 window after creation")
struct PathFaultTests {
    @Test("/_admin/faults with a path pattern and a status answers that status on matching paths only, until removed")
    func pathFault() async throws {
        var config = smallConfiguration()
        config.adminEnabled = true
        try await withSimulator(config) { sim in
            try await SimClient.with(sim) { http in
                let token = try await http.token()
                let ids = sim.ids(.bookings)
                let set = try await http.send(.post, "/_admin/faults?path=/v1/bookings/\(ids[0])/tickets&status=500")
                #expect(set.status == 200)
                let described = (try set.json())["path_faults"] as? [[String: Any]]
                #expect(described?.first?["status"] as? Int == 500)
                #expect(try await http.get("/v1/bookings/\(ids[0])/tickets", token: token).status == 500)
                #expect(try await http.get("/v1/bookings/\(ids[1])/tickets", token: token).status == 200)
                #expect(try await http.get("/v1/bookings/\(ids[0])", token: token).status == 200)

                _ = try await http.send(.post, "/_admin/faults?path=/v1/bookings/*/tickets&status=429&retry_after=3")
                let limited = try await http.get("/v1/bookings/\(ids[1])/tickets", token: token)
                #expect(limited.status == 429)
                #expect(limited.header("Retry-After") == "3")

                _ = try await http.send(.post, "/_admin/faults?path_faults=none")
                #expect(sim.faults.pathFaults.isEmpty)
                #expect(try await http.get("/v1/bookings/\(ids[0])/tickets", token: token).status == 200)
            }
        }
    }

    @Test("an item created while the 404 window is on answers 404 (itself and its children) until the window has passed")
    func notFoundAfterCreation() async throws {
        let clock = VirtualClock()
        var config = smallConfiguration()
        config.adminEnabled = true
        config.clock = clock
        try await withSimulator(config) { sim in
            try await SimClient.with(sim) { http in
                let token = try await http.token()
                _ = try await http.send(.post, "/_admin/faults?not_found_after_create=2")
                #expect(sim.faults.notFoundAfterCreation == .seconds(2))
                let old = sim.ids(.bookings)[0]
                let created = sim.mutate(updates: 0, creates: 1, cancels: 0, resources: [.bookings]).created[.bookings]?.first
                let id = try #require(created)
                #expect(try await http.get("/v1/bookings/\(id)", token: token).status == 404)
                #expect(try await http.get("/v1/bookings/\(id)/tickets", token: token).status == 404)
                #expect(try await http.get("/v1/bookings/\(old)", token: token).status == 200)
                clock.advance(by: .seconds(2))
                #expect(try await http.get("/v1/bookings/\(id)", token: token).status == 200)
                #expect(try await http.get("/v1/bookings/\(id)/tickets", token: token).status == 200)
            }
        }
    }
}
