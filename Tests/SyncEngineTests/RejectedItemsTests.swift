import Foundation
import PostgresClient
import SyncEngine
import SyncTestSupport
import Testing
import UnderstoryAPI
import UnderstorySimulator

@Suite("one bad item never stalls a resource")
struct RejectedItemsTests {
    struct Rejected: Hashable {
        var resource: String
        var itemID: String?
        var reason: String
        var resolved: Bool
    }

    func rejected(_ harness: SyncHarness) async throws -> [Rejected] {
        try await harness.query(
            "SELECT resource, item_id, reason, resolved_at IS NOT NULL AS resolved FROM understory.rejected_items ORDER BY resource, item_id"
        ).rows.map {
            Rejected(
                resource: try $0["resource"].decode(String.self), itemID: try $0["item_id"].decode(String?.self),
                reason: try $0["reason"].decode(String.self), resolved: try $0["resolved"].decode(Bool.self)
            )
        }
    }

    @Test("U+0000 in nested values and object keys of a booking and an order line item is stored as U+FFFD, and counted as sanitized")
    func nulStoredAsReplacement() async throws {
        try await SyncHarness.with { harness in
            let truth = harness.simulator.truth()
            let bookingID = truth.bookings.keys.sorted()[0]
            let orderID = try #require(truth.orderLineItems.filter { !$0.value.isEmpty }.keys.sorted().first)
            #expect(harness.simulator.setFields(.bookings, id: bookingID, [
                ("customer", #"{"full_name":"Ann\u0000Lee","x\u0000y":{"deep":["a\u0000b"]}}"#),
                ("locale", #""da\u0000DK""#),
                // An escaped backslash followed by the text u0000: not a NUL, kept as it is.
                ("source", #""\\u0000""#),
            ]))
            #expect(harness.simulator.setLineItemFields(orderID: orderID, line: 1, [
                ("product_id", #""p\u0000q""#), ("note\u{0}key", #"{"k\u0000":"v\u0000"}"#),
            ]))

            let summary = try await harness.runner.sync(SyncHarness.options())
            #expect(summary.succeeded, "\(summary.failures)")
            #expect(summary.firstError == nil, "\(String(describing: summary.firstError))")
            #expect(summary.counts[.bookings]?.sanitized == 1)
            #expect(summary.counts[.orders]?.sanitized == 1)
            try await harness.expectEqualToTruth()

            let booking = try await harness.query(
                """
                SELECT customer_name, locale, source, raw -> 'customer' -> E'x\\uFFFDy' -> 'deep' ->> 0 AS deep
                FROM understory.bookings WHERE id = $1
                """,
                [bookingID]
            ).rows[0]
            #expect(booking["customer_name"].string == "Ann\u{FFFD}Lee")
            #expect(booking["locale"].string == "da\u{FFFD}DK")
            #expect(booking["source"].string == "\\u0000")
            #expect(booking["deep"].string == "a\u{FFFD}b")
            let line = try await harness.query(
                "SELECT product_id, raw -> E'note\\uFFFDkey' ->> E'k\\uFFFD' AS v FROM understory.order_line_items WHERE order_id = $1 AND line_number = 1",
                [orderID]
            ).rows[0]
            #expect(line["product_id"].string == "p\u{FFFD}q")
            #expect(line["v"].string == "v\u{FFFD}")
            let counted = try await harness.query(
                "SELECT counts -> 'bookings' ->> 'sanitized' AS b, counts -> 'orders' ->> 'sanitized' AS o FROM understory.sync_runs"
            ).rows[0]
            #expect(counted["b"].string == "1" && counted["o"].string == "1")
            #expect(try await harness.count("rejected_items") == 0)
        }
    }

    @Test("items that cannot be stored go to rejected_items; the rest loads, the watermark advances; fixed, they resolve and the run succeeds")
    func rejectThenResolve() async throws {
        try await SyncHarness.with { harness in
            let simulator = harness.simulator
            let truth = simulator.truth()
            let bookings = truth.bookings.values.sorted { $0.updatedAtMicroseconds > $1.updatedAtMicroseconds }
            // The newest booking, so the watermark has to come from the others.
            let badTime = bookings[0]
            let noStatus = bookings[5].id
            let orders = truth.orders.keys.sorted()
            let hugeMoney = orders[0], bigExponent = orders[1], smallExponent = orders[2]
            let badLine = try #require(truth.orderLineItems.filter { !$0.value.isEmpty && !orders.prefix(3).contains($0.key) }.keys.sorted().first)
            let eventID = truth.events.keys.sorted()[0]

            #expect(simulator.setFields(.bookings, id: badTime.id, [("updated_at", #""not a time""#)]))
            #expect(simulator.corrupt(resource: .bookings, id: noStatus, removingField: "status"))
            #expect(simulator.setFields(.orders, id: hugeMoney, [("totals", #"{"amount":{"currency":"DKK","value":5,"exponent":-200000}}"#)]))
            #expect(simulator.setFields(.orders, id: bigExponent, [("totals", #"{"amount":{"currency":"DKK","value":-5,"exponent":-30}}"#)]))
            #expect(simulator.setFields(.orders, id: smallExponent, [("totals", #"{"amount":{"currency":"XAU","value":7,"exponent":25}}"#)]))
            #expect(simulator.setLineItemFields(orderID: badLine, line: 1, [("quantity", "null")]))
            #expect(simulator.setFields(.events, id: eventID, [("capacity", #"{"total":99999999999,"reserved":1}"#)]))

            let first = try await harness.runner.sync(SyncHarness.options())
            #expect(first.succeeded, "\(first.failures)")
            let error = try #require(first.firstError as? SyncError)
            #expect(error.code == .itemsRejected)
            #expect(error.message == "5 items rejected: see understory.rejected_items")
            #expect(first.counts[.bookings]?.rejected == 2)
            #expect(first.counts[.orders]?.rejected == 2)
            #expect(first.counts[.events]?.rejected == 1)

            let rows = try await rejected(harness)
            #expect(rows.count == 5)
            #expect(rows.allSatisfy { !$0.resolved })
            let byID = Dictionary(uniqueKeysWithValues: rows.map { ($0.itemID ?? "", $0) })
            #expect(byID[badTime.id]?.resource == "bookings")
            #expect(byID[badTime.id]?.reason.contains("updated_at") == true, "\(byID[badTime.id]?.reason ?? "")")
            #expect(byID[noStatus]?.reason == "field status: required field is missing")
            #expect(byID[hugeMoney]?.resource == "orders")
            #expect(byID[hugeMoney]?.reason.contains("totals.amount") == true, "\(byID[hugeMoney]?.reason ?? "")")
            #expect(byID[badLine]?.reason == "line item 1: field quantity: required field is missing")
            #expect(byID[eventID]?.resource == "events")
            #expect(byID[eventID]?.reason.contains("capacity.total") == true, "\(byID[eventID]?.reason ?? "")")

            // Everything else is exactly the truth; the rejected items are absent.
            try await harness.expectEqualToTruth(absent: [.bookings: [badTime.id, noStatus], .orders: [hugeMoney, badLine], .events: [eventID]])
            let amounts = try await harness.query(
                "SELECT id, total_amount::text AS a FROM understory.orders WHERE id IN ($1, $2) ORDER BY id",
                [bigExponent, smallExponent]
            ).rows.map { $0["a"].string }
            #expect(amounts == ["-5" + String(repeating: "0", count: 30), "0." + String(repeating: "0", count: 24) + "7"])
            // The watermark moved to the newest booking that was stored.
            let newestStored = bookings.dropFirst().filter { $0.id != noStatus }.map(\.updatedAtMicroseconds).max()!
            let watermark = try await harness.query(
                "SELECT (extract(epoch FROM watermark) * 1000000)::bigint AS w FROM understory.sync_state WHERE resource = 'bookings'"
            ).rows[0]["w"].decode(Int64.self)
            #expect(watermark == newestStored)
            let run = try await harness.query("SELECT status, error, counts -> 'bookings' ->> 'rejected' AS r FROM understory.sync_runs").rows[0]
            #expect(run["status"].string == "succeeded")
            #expect(run["error"].string == "5 items rejected: see understory.rejected_items")
            #expect(run["r"].string == "2")
            let status = try await PostgresConnection.withConnection(harness.database, logger: harness.logger) { try await StatusReport.load(from: $0) }
            let unresolved = Dictionary(uniqueKeysWithValues: status.resources.map { ($0.resource, $0.rejectedItems) })
            #expect(unresolved == ["bookings": 2, "orders": 2, "events": 1, "experiences": 0, "marketing-consents": 0, "availability": 0])

            // The API fixes them (without a newer updated_at): the next run fetches them by id and stores them.
            #expect(simulator.setFields(.bookings, id: badTime.id, [("updated_at", "\"\(badTime.updatedAt)\"")]))
            #expect(simulator.setFields(.bookings, id: noStatus, [("status", #""ACTIVE""#)]))
            #expect(simulator.setFields(.orders, id: hugeMoney, [("totals", #"{"amount":{"currency":"DKK","value":12345,"exponent":2}}"#)]))
            #expect(simulator.setLineItemFields(orderID: badLine, line: 1, [("quantity", "3")]))
            #expect(simulator.setFields(.events, id: eventID, [("capacity", #"{"total":20,"reserved":1}"#)]))
            let second = try await harness.runner.sync(SyncHarness.options())
            #expect(second.succeeded, "\(second.failures)")
            #expect(second.firstError == nil, "\(String(describing: second.firstError))")
            #expect(second.counts.values.reduce(0) { $0 + $1.resolved } == 5)
            #expect(try await rejected(harness).allSatisfy(\.resolved))
            try await harness.expectEqualToTruth()
            let after = try await PostgresConnection.withConnection(harness.database, logger: harness.logger) { try await StatusReport.load(from: $0) }
            #expect(after.resources.allSatisfy { $0.rejectedItems == 0 })
        }
    }

    @Test("a rejected item the API no longer has (404 on re-fetch) is resolved as gone")
    func goneResolves() async throws {
        try await SyncHarness.with { harness in
            var options = SyncHarness.options()
            options.resources = [.bookings]
            let id = harness.simulator.truth().bookings.keys.sorted()[3]
            #expect(harness.simulator.setFields(.bookings, id: id, [("created_at", "17")]))
            let first = try await harness.runner.sync(options)
            #expect((first.firstError as? SyncError)?.code == .itemsRejected)
            #expect(try await rejected(harness).map(\.itemID) == [id])
            #expect(harness.simulator.delete(.bookings, id: id))
            let second = try await harness.runner.sync(options)
            #expect(second.firstError == nil, "\(String(describing: second.firstError))")
            #expect(second.counts[.bookings]?.resolved == 1)
            #expect(try await rejected(harness).map(\.resolved) == [true])
        }
    }

    @Test("a booking without an id is rejected with its raw text, as one row however often it is seen")
    func withoutID() async throws {
        try await SyncHarness.with { harness in
            var options = SyncHarness.options()
            options.resources = [.bookings]
            let id = harness.simulator.truth().bookings.keys.sorted()[1]
            #expect(harness.simulator.corrupt(resource: .bookings, id: id, removingField: "id"))
            let first = try await harness.runner.sync(options)
            #expect((first.firstError as? SyncError)?.message == "1 item rejected: see understory.rejected_items")
            #expect(first.counts[.bookings]?.inserted == 249)
            options.full = true
            let second = try await harness.runner.sync(options)
            #expect((second.firstError as? SyncError)?.code == .itemsRejected)
            let rows = try await harness.query(
                "SELECT item_id, item_key, reason, raw_text, first_run_id, last_run_id FROM understory.rejected_items"
            ).rows
            #expect(rows.count == 1)
            let row = try #require(rows.first)
            #expect(row["item_id"].string == nil)
            #expect(row["item_key"].string?.hasPrefix("sha256:") == true)
            #expect(row["reason"].string?.contains("id") == true)
            #expect(row["raw_text"].string?.contains("\"created_at\"") == true)
            #expect(row["first_run_id"].int == 1 && row["last_run_id"].int == 2)
            // Each run records the status the command line exits with: 65, items rejected.
            let exits = try await harness.query("SELECT exit_status FROM understory.sync_runs ORDER BY id").rows.map { $0["exit_status"].int }
            #expect(exits == [65, 65], "\(exits)")
            try await harness.expectEqualToTruth([.bookings], absent: [.bookings: [id]])
        }
    }

    @Test("a value the database still refuses (a line total beyond numeric) rejects only its order, after loading the batch item by item")
    func databaseRefusal() async throws {
        try await SyncHarness.with { harness in
            var options = SyncHarness.options()
            options.resources = [.orders]
            let truth = harness.simulator.truth()
            let orderID = try #require(truth.orderLineItems.filter { !$0.value.isEmpty }.keys.sorted().first)
            // 131072 digits before the point fit numeric; quantity × unit_price (line_total) does not.
            #expect(harness.simulator.setLineItemFields(orderID: orderID, line: 1, [
                ("quantity", "10"), ("unit_price", #"{"currency":"DKK","value":9,"exponent":-131071}"#),
            ]))
            let summary = try await harness.runner.sync(options)
            #expect(summary.succeeded, "\(summary.failures)")
            #expect((summary.firstError as? SyncError)?.code == .itemsRejected)
            let rows = try await rejected(harness)
            #expect(rows.map(\.itemID) == [orderID])
            #expect(rows.first?.reason.contains("22003") == true, "\(rows.first?.reason ?? "")")
            try await harness.expectEqualToTruth([.orders], absent: [.orders: [orderID]])
            #expect(try await harness.count("sync_state", where: "resource = 'orders' AND watermark IS NOT NULL") == 1)
        }
    }
}
