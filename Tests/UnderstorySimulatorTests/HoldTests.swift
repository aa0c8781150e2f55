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

@Suite("held answers: made when the request arrives, sent when released over /_admin")
struct HeldAnswerTests {
    @Test("/_admin/hold holds the answer to a matching path (* = one segment) as the data was at arrival; count bounds it; /_admin/release sends it")
    func heldAnswerIsTheDataAtArrival() async throws {
        var configuration = smallConfiguration()
        configuration.adminEnabled = true
        try await withSimulator(configuration) { sim in
            try await SimClient.with(sim) { http in
                let token = try await http.token()
                let id = sim.ids(.bookings)[0]
                let before = try #require(sim.bookingTickets(bookingID: id))
                #expect(try await http.send(.post, "/_admin/hold?path=/v1/bookings/*/tickets&count=1").status == 200)
                // Its own connection: the held answer keeps it busy.
                let held = Task { try await SimClient.with(sim) { try await $0.get("/v1/bookings/\(id)/tickets", token: token).text } }
                #expect(try await eventually { (try await http.send(.get, "/_admin/hold").json())["held"] as? Int == 1 })
                #expect(sim.touch(.bookings, id: id) != nil)
                // A version can hash to the same tickets (the data follows the current day): touch again until they differ.
                for _ in 0..<8 where sim.bookingTickets(bookingID: id) == before { _ = sim.touch(.bookings, id: id) }
                let after = try #require(sim.bookingTickets(bookingID: id))
                #expect(after != before, "the touch changed the tickets")
                // The count is used up: the next matching request is answered at once, with the new data.
                let now = try await http.get("/v1/bookings/\(id)/tickets", token: token)
                #expect(now.status == 200 && after.allSatisfy { now.text.contains($0) })
                #expect(try await http.send(.post, "/_admin/release").json()["released"] as? Int == 1)
                let answer = try await held.value
                #expect(before.allSatisfy { answer.contains($0) }, "the held answer is the one made on arrival")
                #expect(!after.allSatisfy { answer.contains($0) })
            }
        }
    }
}
