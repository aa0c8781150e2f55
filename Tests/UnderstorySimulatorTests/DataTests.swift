import Foundation
import Testing
import UnderstorySimulator

@Suite("data")
struct DataTests {
    @Test("the same seed, sizes and anchor give byte-identical data; another seed does not")
    func determinism() {
        let a = Simulator(configuration: smallConfiguration(seed: 42)).truth()
        let b = Simulator(configuration: smallConfiguration(seed: 42)).truth()
        let c = Simulator(configuration: smallConfiguration(seed: 43)).truth()
        #expect(a.bookings == b.bookings)
        #expect(a.orders == b.orders)
        #expect(a.events == b.events)
        #expect(a.experiences == b.experiences)
        #expect(a.orderLineItems == b.orderLineItems)
        #expect(a.orderTransactions == b.orderTransactions)
        #expect(a.bookings != c.bookings)
        let one = Simulator(configuration: smallConfiguration(seed: 42))
        let two = Simulator(configuration: smallConfiguration(seed: 42))
        #expect(one.mutate(updates: 5, creates: 2, cancels: 2) == two.mutate(updates: 5, creates: 2, cancels: 2))
        #expect(one.truth().orders == two.truth().orders)
    }

    @Test("every item is valid JSON with the spec's required fields")
    func requiredFields() {
        let truth = Simulator(configuration: smallConfiguration(bookings: 300, orders: 300, events: 200)).truth()
        let required: [(SimulatorResource, [String])] = [
            (.bookings, ["id", "status", "created_at", "updated_at", "company_id", "experience_id", "event_id", "customer", "locale"]),
            (.orders, ["id", "number", "status", "payment_status", "created_at", "updated_at", "customer", "origin", "totals"]),
            (.events, ["id", "state", "visibility", "experience_id", "capacity", "sessions", "created_at", "updated_at"]),
            (.experiences, ["id", "type", "state", "name", "created_at", "updated_at"]),
        ]
        for (resource, fields) in required {
            for item in truth[resource].values {
                let object = parseObject(item.raw)
                for field in fields {
                    #expect(object[field] != nil && !(object[field] is NSNull), "\(resource) \(item.id) lacks \(field)")
                }
                #expect(object["id"] as? String == item.id)
                #expect(object["updated_at"] as? String == item.updatedAt)
            }
        }
        for items in truth.orderLineItems.values {
            for raw in items {
                let object = parseObject(raw)
                for field in ["quantity", "unit_price", "unit_vat_amount", "product_type", "product_id", "details"] {
                    #expect(object[field] != nil)
                }
            }
        }
        for items in truth.orderRefunds.values {
            for raw in items {
                let object = parseObject(raw)
                for field in ["id", "status", "amount", "transaction_id", "created_at"] { #expect(object[field] != nil) }
            }
        }
        for item in truth.events.values {
            for session in parseObject(item.raw)["sessions"] as? [[String: Any]] ?? [] {
                for field in ["id", "start_time", "end_time", "timezone", "location_id", "languages"] { #expect(session[field] != nil) }
                let start = session["start_time"] as? String ?? ""
                #expect(start.count == 19 && !start.hasSuffix("Z"))
            }
        }
    }

    @Test("data is nasty: exponents 0/2/3, values above 2^31, null and absent optionals, unicode, long strings, shared updated_at")
    func nastiness() {
        let truth = Simulator(configuration: smallConfiguration(bookings: 400, orders: 400, events: 100)).truth()
        var exponents: Set<Int> = []
        var maxValue: Int64 = 0
        func money(_ object: Any?) {
            guard let money = object as? [String: Any] else { return }
            if let exponent = money["exponent"] as? Int { exponents.insert(exponent) }
            if let value = (money["value"] as? NSNumber)?.int64Value { maxValue = max(maxValue, value) }
        }
        for item in truth.orders.values {
            let totals = parseObject(item.raw)["totals"] as? [String: Any] ?? [:]
            money(totals["amount"])
        }
        for items in truth.orderLineItems.values {
            for raw in items { money(parseObject(raw)["unit_price"]) }
        }
        #expect(exponents.isSuperset(of: [0, 2, 3]))
        #expect(maxValue > Int64(Int32.max))

        var nullNote = false
        var absentNote = false
        var presentNote = false
        var longest = 0
        for item in truth.bookings.values {
            let object = parseObject(item.raw)
            if object["internal_note"] is NSNull { nullNote = true }
            if object["internal_note"] == nil { absentNote = true }
            if let note = object["internal_note"] as? String {
                presentNote = true
                longest = max(longest, note.utf8.count)
            }
        }
        #expect(nullNote && absentNote && presentNote)
        #expect(longest >= 3000)

        let all = truth.bookings.values.map(\.json).joined()
        for needle in ["\\\"", "\\\\", "\\n", "\\t", "👨‍👩‍👧‍👦", "ø", "مرحبا", "e\u{0301}"] {
            #expect(all.contains(needle), "no \(needle)")
        }
        #expect(all.contains("\\u"), "some strings use \\u escapes")
        let unknownField = truth.bookings.values.contains { parseObject($0.raw)["sales_channel"] != nil || parseObject($0.raw)["tags"] != nil }
        #expect(unknownField)
        let sharedUpdatedAt = Dictionary(grouping: truth.bookings.values, by: \.updatedAtMicroseconds).values.map(\.count).max() ?? 0
        #expect(sharedUpdatedAt >= 10)
        let fractional = truth.bookings.values.filter { $0.updatedAtMicroseconds % 1_000_000 != 0 }.count
        #expect(fractional > 0 && fractional < truth.bookings.count)
        #expect(truth.bookings.values.contains { $0.updatedAt.count == 27 })  // microseconds
        #expect(truth.bookings.values.contains { $0.updatedAt.count == 24 })  // milliseconds
        #expect(truth.bookings.values.contains { $0.updatedAt.count == 20 })  // whole seconds
        #expect(truth.bookings.values.contains { parseObject($0.raw)["status"] as? String == "NO_SHOW" })
    }

    @Test("mutate bumps updated_at, creates and cancels records, and changes order children")
    func mutation() {
        let sim = Simulator(configuration: smallConfiguration())
        let before = sim.truth()
        let summary = sim.mutate(updates: 10, creates: 2, cancels: 3)
        let after = sim.truth()
        #expect(after.bookings.count == before.bookings.count + 2)
        #expect(after.orders.count == before.orders.count + 2)
        #expect(after.events.count == before.events.count + 2)
        let maxBefore = before.bookings.values.map(\.updatedAtMicroseconds).max() ?? 0
        for id in summary.updated[.bookings] ?? [] {
            #expect(after.bookings[id]?.updatedAtMicroseconds == summary.updatedAtMicroseconds)
        }
        #expect(summary.updatedAtMicroseconds > maxBefore)
        for id in summary.cancelled[.bookings] ?? [] {
            #expect(parseObject(after.bookings[id]?.raw ?? [])["status"] as? String == "CANCELLED")
        }
        for id in summary.cancelled[.events] ?? [] {
            #expect(parseObject(after.events[id]?.raw ?? [])["state"] as? String == "CANCELLED")
        }
        for id in summary.created[.orders] ?? [] {
            #expect(after.orders[id]?.createdAtMicroseconds == summary.updatedAtMicroseconds)
            #expect(!(after.orderLineItems[id] ?? []).isEmpty)
        }
        let next = sim.mutate(updates: 1, creates: 0, cancels: 0)
        #expect(next.updatedAtMicroseconds > summary.updatedAtMicroseconds)

        var changedChildren = false
        for _ in 0..<20 {
            let s = sim.mutate(updates: 5, creates: 0, cancels: 0, resources: [.orders])
            let t = sim.truth()
            for id in s.updated[.orders] ?? [] where t.orderLineItems[id] != before.orderLineItems[id] || t.orderRefunds[id] != before.orderRefunds[id] {
                changedChildren = true
            }
        }
        #expect(changedChildren)
    }

    @Test("corrupt serves a record without a required field, over HTTP too")
    func corruption() async throws {
        try await withSimulator(smallConfiguration()) { sim in
            let id = sim.ids(.bookings)[3]
            #expect(sim.corrupt(resource: .bookings, id: id, removingField: "status"))
            #expect(!sim.corrupt(resource: .bookings, id: "missing", removingField: "status"))
            let raw = try #require(sim.truth().bookings[id]?.raw)
            let object = parseObject(raw)
            #expect(object["status"] == nil)
            #expect(object["id"] as? String == id)
            try await SimClient.with(sim) { http in
                let token = try await http.token()
                let served = try await http.get("/v1/bookings/\(id)", token: token)
                #expect(served.body == raw)
            }
            let order = sim.ids(.orders)[0]
            sim.corrupt(resource: .orders, id: order, removingField: "updated_at")
            #expect(parseObject(sim.truth().orders[order]?.raw ?? [])["updated_at"] == nil)
            #expect(parseObject(sim.truth().orders[order]?.raw ?? [])["totals"] != nil)
        }
    }

    /// Generation speed is measured by `understory-bench`, not here.
    @Test("a large account has exactly the configured records, each id once, and a mutation adds exactly its creates")
    func largeGeneration() {
        var config = smallConfiguration(bookings: 20_000, orders: 4_000, events: 500)
        config.experiences = 40
        let sim = Simulator(configuration: config)
        let bookings = sim.ids(.bookings)
        #expect(bookings.count == 20_000)
        #expect(Set(bookings).count == bookings.count)
        #expect(sim.ids(.orders, sort: "-updated_at").count == 4_000)
        #expect(Set(sim.ids(.events)).count == 500)
        sim.mutate(updates: 100, creates: 10, cancels: 10)
        #expect(sim.ids(.bookings).count == 20_010)
        #expect(sim.ids(.orders, sort: "-updated_at").count == 4_010)
    }
}
