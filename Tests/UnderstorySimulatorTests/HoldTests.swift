import Testing
import UnderstorySimulator
import SyncTestSupport

@Suite("the hold hook: requests wait until released, never on a timer")
struct HoldTests {
    @Test("holdAPIRequests(path:passing:) lets the first requests to exactly that path through, holds the next, and not its sub-paths")
    func exactPathAfterPassing() async throws {
        try await withSimulator(smallConfiguration()) { sim in
            try await SimClient.with(sim) { http in
                let token = try await http.token()
                let order = sim.ids(.orders)[0]
                sim.holdAPIRequests(path: "/v1/orders", passing: 1)
                #expect(try await http.get("/v1/orders?limit=1", token: token).status == 200, "the first one passes")
                #expect(try await http.get("/v1/orders/\(order)/line-items", token: token).status == 200, "a sub-path is not held")
                #expect(sim.heldAPIRequests == 0)
                let held = Task { try await http.get("/v1/orders?limit=1", token: token).status }
                #expect(try await eventually { sim.heldAPIRequests == 1 }, "the second one waits")
                sim.releaseAPIRequests()
                #expect(try await held.value == 200)
                #expect(try await http.get("/v1/orders?limit=1", token: token).status == 200, "released: nothing is held any more")
            }
        }
    }
}
