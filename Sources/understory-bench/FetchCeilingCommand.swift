import ArgumentParser
import AsyncHTTPClient
import Foundation
import Logging
import UnderstoryAPI

/// The fetch ceiling, run as its own process (like the sync): the same `UnderstoryClient` over
/// AsyncHTTPClient GETs every page a first sync requests — the four lists at once, as the sync
/// runs its resources, each order's three child calls and each booking's tickets with the sync's
/// child concurrency, and each experience's ticket variants — and does nothing with the bodies but
/// find the next cursor. Prints `requests=N pages=N bytes=N`.
struct FetchCeilingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch-ceiling",
        abstract: "GET every page a first sync requests, bodies discarded (run by the other subcommands).",
        shouldDisplay: false
    )

    @Option(name: .customLong("order-ids"), help: "File with one order id per line: their line items, refunds and transactions are fetched.")
    var orderIDs: String

    @Option(name: .customLong("booking-ids"), help: "File with one booking id per line: their tickets are fetched.")
    var bookingIDs: String

    @Option(name: .customLong("experience-ids"), help: "File with one experience id per line: their ticket variants are fetched.")
    var experienceIDs: String

    @Option(help: "Parents whose children are fetched at once (the sync's default is 8).")
    var childConcurrency = 8

    @Option(help: "Event window: days before today (the sync's default).")
    var eventsPastDays = 30

    @Option(help: "Event window: days after today (the sync's default).")
    var eventsFutureDays = 365

    func run() async throws {
        let logger = BenchWorld.logger
        let configuration = try UnderstoryConfiguration(environment: ProcessInfo.processInfo.environment)
        func lines(_ file: String) throws -> [String] {
            try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").map(String.init)
        }
        let orders = try lines(orderIDs), bookings = try lines(bookingIDs), experiences = try lines(experienceIDs)
        // The same window EventWindowPlan computes for a sync that is not --full.
        let now = Date()
        func day(_ offset: Double) -> LocalDateTime {
            let wall = LocalDateTime(utcWallTimeOf: Timestamp(now.addingTimeInterval(offset * 86_400)))
            return LocalDateTime(year: wall.year, month: wall.month, day: wall.day)!
        }
        let from = day(-Double(eventsPastDays)), to = day(Double(eventsFutureDays + 1))
        let concurrency = childConcurrency
        let total = try await UnderstoryClient.withClient(configuration, logger: logger) { client in
            _ = try await client.me()
            return try await withThrowingTaskGroup(of: UndecodedTraversal.self) { group in
                group.addTask { try await client.bookings(ListQuery(limit: 100, sort: .updatedDescending)).fetchUndecoded() }
                group.addTask { try await client.orders(ListQuery(limit: 100, sort: .updatedDescending)).fetchUndecoded() }
                group.addTask { try await client.events(from: from, to: to, limit: 500).fetchUndecoded() }  // SyncOptions.eventsPageSize
                group.addTask { try await client.experiences(limit: 100).fetchUndecoded() }
                group.addTask { try await Self.each(orders, concurrency: concurrency) { try await client.fetchOrderChildrenUndecoded(orderID: $0) } }
                group.addTask { try await Self.each(bookings, concurrency: concurrency) { try await client.fetchBookingTicketsUndecoded(bookingID: $0) } }
                group.addTask { try await Self.each(experiences, concurrency: concurrency) { try await client.fetchTicketVariantsUndecoded(experienceID: $0) } }
                var sum = UndecodedTraversal()
                for try await part in group { sum = sum + part }
                return sum
            }
        }
        print("requests=\(total.pages + 1) pages=\(total.pages) bytes=\(total.bytes) items=\(total.items)")
    }

    /// `fetch` for every id, `concurrency` at a time, summed.
    static func each(
        _ ids: [String], concurrency: Int, _ fetch: @escaping @Sendable (String) async throws -> UndecodedTraversal
    ) async throws -> UndecodedTraversal {
        try await withThrowingTaskGroup(of: UndecodedTraversal.self) { group in
            var next = 0, sum = UndecodedTraversal()
            while next < min(concurrency, ids.count) {
                let id = ids[next]
                group.addTask { try await fetch(id) }
                next += 1
            }
            while let done = try await group.next() {
                sum = sum + done
                if next < ids.count {
                    let id = ids[next]
                    group.addTask { try await fetch(id) }
                    next += 1
                }
            }
            return sum
        }
    }
}
