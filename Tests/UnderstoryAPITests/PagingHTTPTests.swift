import AsyncHTTPClient
import Foundation
import Testing
import UnderstorySimulator

import SyncTestSupport
@testable import UnderstoryAPI

@Suite("Paging over HTTP")
struct PagingHTTPTests {
    static let config = SimulatorConfiguration(seed: 11, bookings: 45, orders: 45, events: 30, experiences: 12)

    @Test("every list endpoint pages to completion; counts, ids and raw bytes equal the truth", arguments: [1, 7, 100])
    func pagesEverything(limit: Int) async throws {
        try await withSimulatorClient(Self.config) { sim, client in
            let truth = sim.truth()
            func check<Item: APIModel>(_ items: [Fetched<Item>], _ expected: [String: SimulatorTruth.Item], id: (Item) -> String) {
                #expect(items.count == expected.count)
                #expect(Set(items.map { id($0.model) }) == Set(expected.keys))
                for item in items {
                    #expect(Array(item.raw.utf8) == expected[id(item.model)]?.raw)
                }
            }
            let bookings = try await client.bookings(ListQuery(limit: limit)).collectItems()
            check(bookings, truth.bookings) { $0.id }
            let orders = try await client.orders(ListQuery(limit: limit, sort: .updatedDescending)).collectItems()
            check(orders, truth.orders) { $0.id }
            let events = try await client.events(limit: limit).collectItems()
            check(events, truth.events) { $0.id }
            let experiences = try await client.experiences(limit: limit).collectItems()
            check(experiences, truth.experiences) { $0.id }
            // One request per page, no retries, at least ceil(count / limit) pages per resource.
            func pages(_ n: Int) -> Int { (n + limit - 1) / limit }
            #expect(client.statistics.pages == sim.requestCount(pathPrefix: "/v1/", status: 200))
            #expect(client.statistics.pages >= 2 * pages(45) + pages(30) + pages(12))
            #expect(client.statistics.retries == 0)
        }
    }

    @Test("sorted traversals follow the server's order")
    func sortOrder() async throws {
        try await withSimulatorClient(Self.config) { sim, client in
            for sort in Sort.allCases {
                let ids = try await client.bookings(ListQuery(limit: 7, sort: sort)).collectItems().map(\.id)
                #expect(ids == sim.ids(.bookings, sort: sort.rawValue))
            }
        }
    }

    @Test("from/to filter creation time with whole-second UTC timestamps")
    func window() async throws {
        try await withSimulatorClient(Self.config) { sim, client in
            let all = try await client.orders(ListQuery(limit: 100, sort: .createdAscending)).collectItems()
            let from = all[10].createdAt
            let to = all[30].createdAt
            let window = try await client.orders(ListQuery(limit: 7, from: from, to: to, sort: .createdAscending)).collectItems()
            #expect(!window.isEmpty)
            let lower = Timestamp(secondsSinceEpoch: from.secondsSinceEpoch)
            let upper = Timestamp(secondsSinceEpoch: to.secondsSinceEpoch + (to.nanoseconds > 0 ? 1 : 0))
            #expect(window.allSatisfy { $0.createdAt >= lower && $0.createdAt < upper })
        }
    }

    @Test("order sub-resources and single events equal the truth byte for byte, money exact")
    func subResources() async throws {
        try await withSimulatorClient(Self.config) { sim, client in
            let truth = sim.truth()
            let orders = try await client.orders(ListQuery(limit: 100)).collectItems()
            var exponents = Set<Int>()
            var beyond32Bit = false
            for order in orders {
                if let amount = order.totals?.amount {
                    exponents.insert(amount.exponent)
                    beyond32Bit = beyond32Bit || amount.value > Int64(Int32.max)
                    // The text form and the Decimal agree with value / 10^exponent, exactly.
                    #expect(amount.amount == Decimal(string: amount.majorUnitsText, locale: Locale(identifier: "en_US_POSIX")))
                    let raw = try JSONSerialization.jsonObject(with: Data(order.raw.utf8)) as? [String: Any]
                    let rawAmount = (raw?["totals"] as? [String: Any])?["amount"] as? [String: Any]
                    #expect((rawAmount?["value"] as? NSNumber)?.int64Value == amount.value)
                }
            }
            for order in orders.prefix(15) {
                let lines = try await client.lineItems(orderID: order.id)
                #expect(lines.map { Array($0.raw.utf8) } == truth.orderLineItems[order.id])
                let refunds = try await client.refunds(orderID: order.id)
                #expect(refunds.map { Array($0.raw.utf8) } == truth.orderRefunds[order.id])
                let transactions = try await client.transactions(orderID: order.id)
                #expect(transactions.map { Array($0.raw.utf8) } == truth.orderTransactions[order.id])
            }
            #expect(exponents.isSuperset(of: [0, 2, 3]))
            #expect(beyond32Bit)
            let someEvent = try #require(truth.events.keys.sorted().first)
            let event = try await client.event(id: someEvent)
            #expect(Array(event.raw.utf8) == truth.events[someEvent]?.raw)
        }
    }

    @Test("unknown fields and enum values are tolerated")
    func unknownsTolerated() async throws {
        try await withSimulatorClient(Self.config) { _, client in
            let bookings = try await client.bookings(ListQuery(limit: 100, sort: .createdAscending)).collectItems()
            let statuses = Set(bookings.compactMap(\.status))
            #expect(statuses.contains(BookingStatus(rawValue: "NO_SHOW")))
            let unknownKeys = ["\"sales_channel\"", "\"_experimental_score\"", "\"tags\"", "\"legacy_ref\"", "\"x-internal-flags\""]
            #expect(bookings.contains { item in unknownKeys.contains { item.raw.contains($0) } })
            let events = try await client.events(limit: 100).collectItems()
            #expect(events.contains { $0.state == EventState(rawValue: "PAUSED") })
        }
    }

    @Test("a 400 or 404 to a request without a cursor is not cursor loss")
    func notCursorLoss() async throws {
        try await withSimulatorClient(Self.config) { _, client in
            let error = await expectAPIError { _ = try await client.booking(id: "no-such-booking") }
            #expect(error?.code == .notFound)
        }
    }

    @Test("a rejected cursor surfaces as .cursorRejected so the traversal can restart")
    func cursorRejected() async throws {
        try await withSimulatorClient(Self.config) { sim, client in
            let error = await expectAPIError {
                _ = try await client.bookings(ListQuery(limit: 5, cursor: "not-a-real-cursor")).collectItems()
            }
            #expect(error?.code == .cursorRejected)
            #expect(error?.apiCode == "INVALID_CURSOR")
            #expect(error?.resource == "bookings")
            #expect(sim.requestCount(pathPrefix: "/v1/bookings") == 1)
        }
    }

    @Test("an expired cursor mid-traversal is .cursorRejected whatever the answer's wording; a fresh traversal then completes", arguments: CursorLossAnswer.allCases)
    func expiredCursor(wording: CursorLossAnswer) async throws {
        var config = Self.config
        config.faults.cursorTTL = .seconds(60)
        config.faults.cursorLoss = wording
        let clock = VirtualClock()
        try await withSimulatorClient(config, clock: clock) { sim, client in
            let sequence = client.bookings(ListQuery(limit: 10))
            let error = await expectAPIError {
                for try await _ in sequence {
                    clock.advance(by: .seconds(61))
                }
            }
            #expect(error?.code == .cursorRejected, "\(wording): \(String(describing: error))")
            #expect(error?.status == wording.answer("").status)
            #expect(error?.page == 2)
            #expect(error?.description.contains("cursor lost") == true)
            sim.updateFaults { $0.cursorTTL = nil }
            let restarted = try await sequence.collectItems()
            #expect(restarted.count == 45)
        }
    }
}
