import Foundation
import PostgresClient
import SyncEngine
import SyncTestSupport
import Testing
import UnderstoryAPI
import UnderstorySimulator

@Suite("booking tickets: fetched per new or changed booking, replaced with it; guests derived in SQL")
struct BookingTicketsTests {
    @Test("a first sync stores every booking's tickets and their items; booking_guests sums the ticket variants' quantities")
    func firstSyncStoresTickets() async throws {
        try await SyncHarness.with { harness in
            var options = SyncHarness.options()
            options.resources = [.bookings]
            let summary = try await harness.runner.sync(options)
            #expect(summary.succeeded, "\(summary.failures)")
            let truth = try Self.truth(harness)
            #expect(try await harness.count("booking_tickets") == truth.tickets)
            #expect(try await harness.count("booking_ticket_items") == truth.items)
            #expect(try await harness.count("booking_tickets", where: "checked_in_at IS NOT NULL") == truth.checkedIn)
            let guests = try await harness.query("SELECT b.id, g.guests FROM understory.bookings AS b JOIN understory.booking_guests AS g ON g.company_id = b.company_id AND g.booking_id = b.id").rows
            #expect(guests.count == 250)
            for row in guests {
                let id = try row["id"].decode(String.self)
                #expect(try row["guests"].decode(Int.self) == truth.guests[id], "guests of \(id)")
            }
            #expect(harness.simulator.requestCounts().keys.filter { $0.hasSuffix("/tickets") }.count == 250)
        }
    }

    @Test("an incremental sync asks for tickets once per changed booking and replaces them in the booking's transaction")
    func incrementalFetchesChangedOnly() async throws {
        try await SyncHarness.with { harness in
            var options = SyncHarness.options()
            options.resources = [.bookings]
            _ = try await harness.runner.sync(options)
            let mutation = harness.simulator.mutate(updates: 5, creates: 3, cancels: 2, resources: [.bookings])
            let changed = Set((mutation.updated[.bookings] ?? []) + (mutation.created[.bookings] ?? []) + (mutation.cancelled[.bookings] ?? []))
            #expect(!changed.isEmpty)
            harness.simulator.resetRequestCounts()
            let summary = try await harness.runner.sync(options)
            #expect(summary.succeeded, "\(summary.failures)")
            let ticketRequests = harness.simulator.requestCounts().filter { $0.key.hasSuffix("/tickets") }
            #expect(ticketRequests.values.map { $0.values.reduce(0, +) }.reduce(0, +) == changed.count)
            #expect(Set(ticketRequests.keys) == Set(changed.map { "/v1/bookings/\($0)/tickets" }))
            let truth = try Self.truth(harness)
            #expect(try await harness.count("booking_tickets") == truth.tickets)
            #expect(try await harness.count("booking_ticket_items") == truth.items)
            // A sync with nothing new asks for no tickets at all.
            harness.simulator.resetRequestCounts()
            _ = try await harness.runner.sync(options)
            #expect(harness.simulator.requestCounts().keys.filter { $0.hasSuffix("/tickets") }.isEmpty)
        }
    }

    @Test("with --skip-resource tickets (options.skipped holds it) no ticket is asked for or stored; booking_guests reads 0")
    func skipTickets() async throws {
        try await SyncHarness.with { harness in
            var options = SyncHarness.options()
            options.resources = [.bookings]
            options.skipped.insert("tickets")
            let summary = try await harness.runner.sync(options)
            #expect(summary.succeeded, "\(summary.failures)")
            #expect(harness.simulator.requestCounts().keys.filter { $0.hasSuffix("/tickets") }.isEmpty)
            #expect(try await harness.count("booking_tickets") == 0)
            #expect(try await harness.query("SELECT sum(guests)::int AS g, count(*)::int AS n FROM understory.booking_guests").rows[0]["g"].decode(Int.self) == 0)
        }
    }

    @Test("every analyst example in sql/examples runs on a synced database and the guest examples count the tickets' guests")
    func examplesRun() async throws {
        try await SyncHarness.with { harness in
            let summary = try await harness.runner.sync(SyncHarness.options())
            #expect(summary.succeeded, "\(summary.failures)")
            let folder = CitusLayoutTests.root.appendingPathComponent("sql/examples")
            let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".sql") }.sorted()
            #expect(files.contains("guests_per_event.sql") && files.contains("guests_per_experience.sql"))
            for file in files {
                let sql = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
                await #expect(throws: Never.self, "\(file)") { try await harness.query(sql) }
            }
            let perExperience = try String(contentsOf: folder.appendingPathComponent("guests_per_experience.sql"), encoding: .utf8)
            let rows = try await harness.query("SELECT sum(guests)::int AS g FROM (\(perExperience.trimmingCharacters(in: .whitespacesAndNewlines).dropLast())\n) AS q").rows
            let expected = try await harness.query(
                "SELECT sum(g.guests)::int AS g FROM understory.booking_guests g JOIN understory.bookings b ON b.company_id = g.company_id AND b.id = g.booking_id WHERE b.status <> 'CANCELLED'"
            ).rows
            #expect(try rows[0]["g"].decode(Int.self) == expected[0]["g"].decode(Int.self))
            #expect(try rows[0]["g"].decode(Int.self) > 0)
        }
    }

    /// What the simulator's tickets add up to for every live booking.
    static func truth(_ harness: SyncHarness) throws -> (tickets: Int, items: Int, checkedIn: Int, guests: [String: Int]) {
        var result = (tickets: 0, items: 0, checkedIn: 0, guests: [String: Int]())
        for id in harness.simulator.truth().bookings.keys {
            var guests = 0
            for json in harness.simulator.bookingTickets(bookingID: id) ?? [] {
                let ticket = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
                let items = ticket["items"] as? [[String: Any]] ?? []
                result.tickets += 1
                result.items += items.count
                if ticket["check_in"] is [String: Any] { result.checkedIn += 1 }
                guests += items.filter { $0["item_type"] as? String == "VARIANT" }.compactMap { $0["quantity"] as? Int }.reduce(0, +)
            }
            result.guests[id] = guests
        }
        return result
    }
}
