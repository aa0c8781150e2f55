import Foundation
import Testing
import UnderstorySimulator

/// The admin routes that make the data drift the way real data does: fields set to anything
/// (a future `updated_at`, a NUL in a string), deletions, children changed behind the order's back.
@Suite("admin drift routes")
struct DriftAdminTests {
    static func enabled() -> SimulatorConfiguration {
        var config = smallConfiguration()
        config.adminEnabled = true
        return config
    }

    @Test("set serves the given raw values; an RFC 3339 updated_at moves the item to the top of -updated_at")
    func setFields() async throws {
        try await withSimulator(Self.enabled()) { sim in
            try await SimClient.with(sim) { http in
                let token = try await http.token()
                let id = sim.truth().bookings.keys.sorted()[3]
                let set = try await http.send(
                    .post, "/_admin/set?resource=bookings&id=\(id)",
                    body: #"{"updated_at": "2036-01-01T00:00:00Z", "locale": "da\u0000DK", "x_new": {"a": [1, 2]}}"#
                )
                #expect(set.status == 200)
                let one = try await http.get("/v1/bookings/\(id)", token: token)
                #expect(one.status == 200)
                #expect(one.text.contains(#""locale":"da\u0000DK""#))
                #expect(one.text.contains(#""x_new":{"a": [1, 2]}"#))
                let object = try one.json()
                #expect(object["updated_at"] as? String == "2036-01-01T00:00:00Z")
                #expect(object["locale"] as? String == "da\u{0}DK")
                let first = try await http.pages("/v1/bookings", query: ["sort": "-updated_at"], limit: 5, token: token, maxPages: 1)
                #expect(first.first?.ids.first == id)
                #expect(sim.truth().bookings[id]?.updatedAt == "2036-01-01T00:00:00Z")

                // A value that is not a time is served as sent; the item keeps its place.
                let bad = try await http.send(.post, "/_admin/set?resource=orders&id=\(sim.truth().orders.keys.sorted()[0])", body: #"{"updated_at": "yesterday"}"#)
                #expect(bad.status == 200)
                let notObject = try await http.send(.post, "/_admin/set?resource=orders&id=x", body: "[1]")
                #expect(notObject.status == 400)
                let unknown = try await http.send(.post, "/_admin/set?resource=orders&id=nope", body: #"{"a": 1}"#)
                #expect(unknown.status == 404)
            }
        }
    }

    @Test("set-line-item serves the given raw values in one line item; the order's updated_at stays")
    func setLineItem() async throws {
        try await withSimulator(Self.enabled()) { sim in
            try await SimClient.with(sim) { http in
                let token = try await http.token()
                let before = sim.truth()
                let order = try #require(before.orderLineItems.filter { !$0.value.isEmpty }.keys.sorted().first)
                let set = try await http.send(.post, "/_admin/set-line-item?id=\(order)&line=1", body: #"{"product_id": "p\u0000q", "quantity": null}"#)
                #expect(set.status == 200)
                let lines = try await http.get("/v1/orders/\(order)/line-items", token: token)
                #expect(lines.text.contains(#""product_id":"p\u0000q""#))
                #expect(lines.text.contains(#""quantity":null"#))
                #expect(sim.truth().orders[order]?.updatedAt == before.orders[order]?.updatedAt)
                #expect(String(decoding: sim.truth().orderLineItems[order]![0], as: UTF8.self).contains(#""product_id":"p\u0000q""#))
                #expect(try await http.send(.post, "/_admin/set-line-item?id=\(order)&line=999", body: #"{"a": 1}"#).status == 404)
            }
        }
    }

    @Test("a deleted item leaves lists and truth, and its GET and children answer 404")
    func delete() async throws {
        try await withSimulator(Self.enabled()) { sim in
            try await SimClient.with(sim) { http in
                let token = try await http.token()
                let order = sim.truth().orders.keys.sorted()[5]
                let event = sim.truth().events.keys.sorted()[2]
                let before = sim.truth()
                #expect(try await http.send(.post, "/_admin/delete?resource=orders&id=\(order)").status == 200)
                #expect(try await http.send(.post, "/_admin/delete?resource=events&id=\(event)").status == 200)
                #expect(try await http.send(.post, "/_admin/delete?resource=events&id=\(event)").status == 404)
                #expect(try await http.get("/v1/orders/\(order)", token: token).status == 404)
                #expect(try await http.get("/v1/orders/\(order)/refunds", token: token).status == 404)
                #expect(try await http.get("/v1/events/\(event)", token: token).status == 404)
                let orders = try await http.pages("/v1/orders", query: ["sort": "-updated_at"], limit: 100, token: token).flatMap(\.ids)
                #expect(!orders.contains(order))
                #expect(orders.count == before.orders.count - 1)
                let events = try await http.pages("/v1/events", limit: 500, token: token).flatMap(\.ids)
                #expect(!events.contains(event))
                #expect(sim.truth().orders[order] == nil)
                #expect(sim.truth().orderRefunds[order] == nil)
                #expect(sim.truth().events.count == before.events.count - 1)
                // Mutations never bring it back.
                _ = try await http.send(.post, "/_admin/mutate?updates=200&cancels=50&resources=orders,events")
                #expect(sim.truth().orders[order] == nil)
            }
        }
    }

    @Test("order children change without touching the order's updated_at")
    func silentChildren() async throws {
        try await withSimulator(Self.enabled()) { sim in
            // Every `try` here is inside #expect, where closure inference does not see it.
            try await SimClient.with(sim) { http async throws in
                let order = sim.truth().orders.keys.sorted()[7]
                let before = sim.truth()
                let add = try await http.send(.post, "/_admin/order-children?id=\(order)&change=add-refund")
                let remove = try await http.send(.post, "/_admin/order-children?id=\(order)&change=remove-line-item")
                let bogus = try await http.send(.post, "/_admin/order-children?id=\(order)&change=bogus")
                #expect(add.status == 200)
                #expect(remove.status == 200)
                #expect(bogus.status == 400)
                let after = sim.truth()
                #expect(after.orders[order]?.updatedAt == before.orders[order]?.updatedAt)
                #expect(after.orders[order]?.raw == before.orders[order]?.raw)
                #expect(after.orderRefunds[order]?.count == (before.orderRefunds[order]?.count ?? 0) + 1)
                #expect(after.orderLineItems[order]?.count == (before.orderLineItems[order]?.count ?? 0) - 1)
            }
        }
    }

    @Test("ignore_updated_at_sort serves -updated_at requests newest-created first")
    func ignoredSort() async throws {
        try await withSimulator(Self.enabled()) { sim in
            try await SimClient.with(sim) { http in
                let token = try await http.token()
                _ = try await http.send(.post, "/_admin/faults?ignore_updated_at_sort=true")
                let ids = try await http.pages("/v1/bookings", query: ["sort": "-updated_at"], limit: 100, token: token).flatMap(\.ids)
                let byCreated = try await http.pages("/v1/bookings", query: ["sort": "-created_at"], limit: 100, token: token).flatMap(\.ids)
                #expect(ids == byCreated)
                _ = try await http.send(.post, "/_admin/faults?ignore_updated_at_sort=false")
                let honoured = try await http.pages("/v1/bookings", query: ["sort": "-updated_at"], limit: 100, token: token).flatMap(\.ids)
                #expect(honoured != byCreated)
            }
        }
    }
}
