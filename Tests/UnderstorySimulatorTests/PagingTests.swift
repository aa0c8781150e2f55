import Foundation
import SyncTestSupport
import Testing
import UnderstorySimulator

@Suite("paging")
struct PagingTests {
    static let listPaths: [(SimulatorResource, String)] = [
        (.bookings, "/v1/bookings"), (.orders, "/v1/orders"), (.events, "/v1/events"), (.experiences, "/v1/experiences"),
    ]

    @Test("every list endpoint paged to completion equals the truth, byte for byte", arguments: [1, 7, 100])
    func pagesEqualTruth(limit: Int) async throws {
        try await withSimulator(smallConfiguration(bookings: 45, orders: 40, events: 30)) { sim in
            try await SimClient.with(sim) { http in
                let token = try await http.token()
                let truth = sim.truth()
                for (resource, path) in Self.listPaths {
                    let pages = try await http.pages(path, limit: limit, token: token, headers: ["Accept-Language": "en-GB, en;q=0.8"])
                    let ids = pages.flatMap(\.ids)
                    let expected = truth[resource]
                    #expect(ids.count == expected.count, "\(path) at limit \(limit)")
                    #expect(Set(ids) == Set(expected.keys), "\(path)")
                    #expect(pages.last?.next == "")
                    for page in pages {
                        #expect(page.ids.count <= limit)
                        let raws = page.ids.map { expected[$0]?.raw ?? [] }
                        #expect(page.body == expectedBody(next: page.next, raws: raws), "\(path) page bytes")
                    }
                    #expect(ids == sim.ids(resource), "\(path) default order")
                }
            }
        }
    }

    @Test("order sub-resources return {items} only, equal to the truth")
    func orderChildren() async throws {
        try await withSimulator(smallConfiguration()) { sim in
            try await SimClient.with(sim) { http in
                let token = try await http.token()
                let truth = sim.truth()
                var sawRefund = false
                var sawTransaction = false
                for id in truth.orders.keys.sorted() {
                    for (name, expected) in [
                        ("line-items", truth.orderLineItems[id]), ("refunds", truth.orderRefunds[id]), ("transactions", truth.orderTransactions[id]),
                    ] {
                        let response = try await http.get("/v1/orders/\(id)/\(name)", token: token)
                        #expect(response.status == 200)
                        #expect(response.body == expectedBody(next: nil, raws: expected ?? []))
                    }
                    sawRefund = sawRefund || !(truth.orderRefunds[id] ?? []).isEmpty
                    sawTransaction = sawTransaction || !(truth.orderTransactions[id] ?? []).isEmpty
                    #expect(!(truth.orderLineItems[id] ?? []).isEmpty)
                }
                #expect(sawRefund && sawTransaction)
                let missing = try await http.get("/v1/orders/nope/line-items", token: token)
                #expect(missing.status == 404)
                #expect(missing.code == "NOT_FOUND")
            }
        }
    }

    @Test("single-resource GETs return the stored bytes; unknown ids are 404 NOT_FOUND")
    func getByID() async throws {
        try await withSimulator(smallConfiguration()) { sim in
            try await SimClient.with(sim) { http in
                let token = try await http.token()
                let truth = sim.truth()
                for (resource, path) in Self.listPaths {
                    let headers = ["Accept-Language": "en"]
                    for (id, item) in truth[resource].prefix(5) {
                        let response = try await http.get("\(path)/\(id)", token: token, headers: headers)
                        #expect(response.status == 200)
                        #expect(response.body == item.raw)
                    }
                    let missing = try await http.get("\(path)/does-not-exist", token: token, headers: headers)
                    #expect(missing.status == 404)
                    #expect(missing.code == "NOT_FOUND")
                }
            }
        }
    }

    @Test("bookings and orders sort by created_at/updated_at both ways, ties broken by id; default is -created_at")
    func sortOrders() async throws {
        try await withSimulator(smallConfiguration(bookings: 120, orders: 80)) { sim in
            try await SimClient.with(sim) { http in
                let token = try await http.token()
                let truth = sim.truth()
                for (resource, path) in [(SimulatorResource.bookings, "/v1/bookings"), (.orders, "/v1/orders")] {
                    let items = Array(truth[resource].values)
                    for sort in ["created_at", "+created_at", "-created_at", "updated_at", "+updated_at", "-updated_at"] {
                        let byUpdated = sort.hasSuffix("updated_at")
                        var expected = items.sorted {
                            let a = byUpdated ? $0.updatedAtMicroseconds : $0.createdAtMicroseconds
                            let b = byUpdated ? $1.updatedAtMicroseconds : $1.createdAtMicroseconds
                            return a != b ? a < b : $0.id < $1.id
                        }.map(\.id)
                        if sort.hasPrefix("-") { expected.reverse() }
                        let pages = try await http.pages(path, query: ["sort": sort], limit: 9, token: token)
                        #expect(pages.flatMap(\.ids) == expected, "\(path) sort=\(sort)")
                    }
                    let defaults = try await http.pages(path, limit: 50, token: token)
                    let descending = try await http.pages(path, query: ["sort": "-created_at"], limit: 50, token: token)
                    #expect(defaults.flatMap(\.ids) == descending.flatMap(\.ids))
                }
                // Many records share timestamps, so the tie-break is really exercised.
                let shared = Dictionary(grouping: truth.bookings.values, by: \.updatedAtMicroseconds).values.map(\.count).max() ?? 0
                #expect(shared >= 3)
            }
        }
    }

    @Test("from is inclusive and to exclusive on created_at for bookings and orders")
    func createdAtWindow() async throws {
        try await withSimulator(smallConfiguration(bookings: 150, orders: 150)) { sim in
            try await SimClient.with(sim) { http in
                let token = try await http.token()
                let truth = sim.truth()
                for (resource, path) in [(SimulatorResource.bookings, "/v1/bookings"), (.orders, "/v1/orders")] {
                    // Boundaries exactly on whole-second created_at values, to test inclusivity.
                    let whole = truth[resource].values.map(\.createdAtMicroseconds).filter { $0 % 1_000_000 == 0 }.sorted()
                    try #require(whole.count >= 4)
                    let from = whole[whole.count / 4]
                    let to = whole[whole.count * 3 / 4]
                    let expected = Set(truth[resource].values.filter { $0.createdAtMicroseconds >= from && $0.createdAtMicroseconds < to }.map(\.id))
                    let fromText = utc(from)
                    let toText = utc(to)
                    for sort in ["-created_at", "+created_at", "-updated_at"] {
                        let pages = try await http.pages(path, query: ["from": fromText, "to": toText, "sort": sort], limit: 7, token: token)
                        let ids = pages.flatMap(\.ids)
                        #expect(ids.count == expected.count)
                        #expect(Set(ids) == expected, "\(path) \(sort) \(fromText)..<\(toText)")
                    }
                    let onlyFrom = try await http.pages(path, query: ["from": fromText], limit: 100, token: token)
                    #expect(onlyFrom.flatMap(\.ids).count == truth[resource].values.filter { $0.createdAtMicroseconds >= from }.count)
                }
            }
        }
    }

    @Test("events filter on the first session's local start: from inclusive, to exclusive")
    func eventWindow() async throws {
        try await withSimulator(smallConfiguration(events: 120)) { sim in
            try await SimClient.with(sim) { http in
                let token = try await http.token()
                let starts: [String: String] = sim.truth().events.mapValues { item in
                    let sessions = parseObject(item.raw)["sessions"] as? [[String: Any]] ?? []
                    return sessions.first?["start_time"] as? String ?? ""
                }
                let sorted = starts.values.sorted()
                let from = sorted[30]
                let to = sorted[90]
                let expected = Set(starts.filter { $0.value >= from && $0.value < to }.keys)
                let pages = try await http.pages("/v1/events", query: ["from": from, "to": to], limit: 7, token: token)
                #expect(Set(pages.flatMap(\.ids)) == expected)
                #expect(pages.flatMap(\.ids).count == expected.count)
                let ordered = pages.flatMap(\.ids).map { starts[$0] ?? "" }
                #expect(ordered == ordered.sorted())
                let utcStyle = try await http.get("/v1/events?from=\(from)Z", token: token)
                #expect(utcStyle.status == 400)
            }
        }
    }

    @Test("bad limit, sort and timestamps are 400 with {code, message}")
    func badRequests() async throws {
        try await withSimulator(smallConfiguration()) { sim in
            try await SimClient.with(sim) { http in
                let token = try await http.token()
                let bad = [
                    "/v1/bookings?limit=0", "/v1/bookings?limit=101", "/v1/orders?limit=abc", "/v1/events?limit=501",
                    "/v1/bookings?sort=price", "/v1/orders?sort=+created_at", "/v1/bookings?sort=%2Bcreated",
                    "/v1/bookings?from=2026-01-01T00:00:00%2B01:00", "/v1/orders?to=2026-01-01", "/v1/bookings?from=2026-13-01T00:00:00Z",
                    "/v1/bookings?from=2026-01-01T00:00:00.5Z", "/v1/events?from=2026-01-01T00:00:00Z", "/v1/events?to=tomorrow",
                    "/v1/experiences?limit=101",
                ]
                for path in bad {
                    let response = try await http.get(path, token: token, headers: ["Accept-Language": "en"])
                    #expect(response.status == 400, "\(path)")
                    let object = try response.json()
                    #expect(object["code"] as? String == "BAD_REQUEST", "\(path)")
                    #expect((object["message"] as? String)?.isEmpty == false)
                }
                let unescapedPlus = try await http.get("/v1/orders?sort=+created_at", token: token)
                #expect(unescapedPlus.text.contains("%2B"))
                for good in ["/v1/events?limit=500", "/v1/orders?sort=%2Bupdated_at&limit=100", "/v1/bookings?from=2026-01-01T00:00:00Z"] {
                    #expect(try await http.get(good, token: token).status == 200, "\(good)")
                }
                let noLanguage = try await http.get("/v1/experiences", token: token)
                #expect(noLanguage.status == 400)
                #expect(noLanguage.code == "BAD_REQUEST")
                let unknownLanguage = try await http.get("/v1/experiences", token: token, headers: ["Accept-Language": "fr-FR, it;q=0.5"])
                #expect(unknownLanguage.status == 400)
                let danish = try await http.get("/v1/experiences/\(sim.ids(.experiences)[0])", token: token, headers: ["Accept-Language": "fr;q=0.9, da-DK;q=0.8"])
                #expect(danish.status == 200)
                #expect(danish.header("Content-Language") == "da")
            }
        }
    }

    @Test("an expired, tampered or mismatched cursor is 400 INVALID_CURSOR")
    func cursorRejection() async throws {
        var config = smallConfiguration()
        config.faults.cursorTTL = .seconds(60)
        let clock = VirtualClock()
        config.clock = clock
        try await withSimulator(config) { sim in
            try await SimClient.with(sim) { http in
                let token = try await http.token()
                let first = try await http.get("/v1/bookings?limit=5", token: token)
                let next = try #require(try first.json()["next"] as? String)
                #expect(!next.isEmpty)
                #expect(try await http.get("/v1/bookings?limit=5&cursor=\(next)", token: token).status == 200)
                let mismatch = try await http.get("/v1/bookings?limit=5&sort=%2Bupdated_at&cursor=\(next)", token: token)
                #expect(mismatch.status == 400)
                #expect(mismatch.code == "INVALID_CURSOR")
                let otherResource = try await http.get("/v1/orders?limit=5&cursor=\(next)", token: token)
                #expect(otherResource.code == "INVALID_CURSOR")
                let tampered = try await http.get("/v1/bookings?limit=5&cursor=\(next.dropLast(3))abc", token: token)
                #expect(tampered.status == 400)
                #expect(tampered.code == "INVALID_CURSOR")
                // The TTL in force when a cursor comes back decides.
                sim.updateFaults { $0.cursorTTL = .seconds(30) }
                clock.advance(by: .seconds(31))
                let expired = try await http.get("/v1/bookings?limit=5&cursor=\(next)", token: token)
                #expect(expired.status == 400)
                #expect(expired.code == "INVALID_CURSOR")
                #expect(expired.text.contains("cursor"))
            }
        }
    }

    @Test("unstable offset paging skips a record when another is updated mid-traversal; keyset paging does not")
    func unstablePaging() async throws {
        for unstable in [true, false] {
            var config = smallConfiguration(bookings: 40)
            config.faults.unstablePaging = unstable
            try await withSimulator(config) { sim in
                try await SimClient.with(sim) { http in
                    let token = try await http.token()
                    let before = Set(sim.truth().bookings.keys)
                    let first = try await http.get("/v1/bookings?limit=10&sort=%2Bupdated_at", token: token)
                    let object = try first.json()
                    let firstIDs = (object["items"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                    var cursor = try #require(object["next"] as? String)
                    // The oldest-updated record moves to the end: every later one shifts up one place.
                    #expect(sim.touch(.bookings, id: firstIDs[0]) != nil)
                    var seen = firstIDs
                    while !cursor.isEmpty {
                        let page = try await http.get("/v1/bookings?limit=10&sort=%2Bupdated_at&cursor=\(cursor)", token: token)
                        let o = try page.json()
                        seen += (o["items"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                        cursor = o["next"] as? String ?? ""
                    }
                    let missed = before.subtracting(seen)
                    if unstable {
                        #expect(missed.count == 1, "offset paging must skip the record that shifted into the served range")
                    } else {
                        #expect(missed.isEmpty)
                        #expect(seen.filter { $0 == firstIDs[0] }.count == 2, "the touched record appears again at the end")
                    }
                }
            }
        }
    }

    @Test("mutations during a traversal (mutateEveryNRequests) are visible to later pages")
    func mutateDuringTraversal() async throws {
        var config = smallConfiguration(bookings: 50)
        config.faults.mutateEveryNRequests = 2
        config.faults.mutationBatch = MutationBatch(updates: 2, creates: 1, cancels: 0, resources: [.bookings])
        try await withSimulator(config) { sim in
            try await SimClient.with(sim) { http in
                let token = try await http.token()
                let before = sim.truth().bookings.count
                let pages = try await http.pages("/v1/bookings", query: ["sort": "-updated_at"], limit: 10, token: token)
                #expect(!pages.isEmpty)
                #expect(sim.truth().bookings.count > before)
            }
        }
    }
}

func utc(_ micros: Int64) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    formatter.timeZone = TimeZone(identifier: "UTC")
    return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(micros / 1_000_000)))
}
