import Foundation
import PostgresClient
import SyncEngine
import SyncTestSupport
import Testing
import UnderstoryAPI
import UnderstorySimulator

@Suite("experience ticket variants: fetched per new or changed experience, replaced with it")
struct ExperienceTicketVariantsTests {
    @Test("a first sync stores every experience's ticket variants exactly as the simulator serves them, one request per experience")
    func firstSyncEqualsSimulator() async throws {
        try await SyncHarness.with { harness in
            var options = SyncHarness.options()
            options.resources = [.experiences]
            let summary = try await harness.runner.sync(options)
            #expect(summary.succeeded, "\(summary.failures)")
            let stored = try await Self.stored(harness)
            #expect(!stored.isEmpty)
            #expect(stored == (try Self.truth(harness)))
            let experiences = harness.simulator.truth().experiences.count
            #expect(harness.simulator.requestCounts().keys.filter { $0.hasSuffix("/ticket-variants") }.count == experiences)
        }
    }

    @Test("a changed experience gets its variants asked for again and replaced; unchanged ones are not asked for")
    func changedExperienceReplacesVariants() async throws {
        try await SyncHarness.with { harness in
            var options = SyncHarness.options()
            options.resources = [.experiences]
            _ = try await harness.runner.sync(options)
            let before = try await Self.stored(harness)
            let mutation = harness.simulator.mutate(updates: 4, creates: 0, cancels: 0, resources: [.experiences])
            let changed = Set(mutation.updated[.experiences] ?? [])
            #expect(!changed.isEmpty)
            harness.simulator.resetRequestCounts()
            let summary = try await harness.runner.sync(options)
            #expect(summary.succeeded, "\(summary.failures)")
            let requested = Set(harness.simulator.requestCounts().keys.filter { $0.hasSuffix("/ticket-variants") })
            #expect(requested == Set(changed.map { "/v1/experiences/\($0)/ticket-variants" }))
            let after = try await Self.stored(harness)
            #expect(after == (try Self.truth(harness)))
            // The simulator's variants follow the experience's bytes: the changed ones now differ.
            #expect(after.filter { changed.contains($0.experienceID) } != before.filter { changed.contains($0.experienceID) })
            #expect(after.filter { !changed.contains($0.experienceID) } == before.filter { !changed.contains($0.experienceID) })
        }
    }

    @Test("with --skip-resource ticket-variants (options.skipped holds it) no variant is asked for or stored")
    func skipTicketVariants() async throws {
        try await SyncHarness.with { harness in
            var options = SyncHarness.options()
            options.resources = [.experiences]
            options.skipped.insert("ticket-variants")
            let summary = try await harness.runner.sync(options)
            #expect(summary.succeeded, "\(summary.failures)")
            #expect(harness.simulator.requestCounts().keys.filter { $0.hasSuffix("/ticket-variants") }.isEmpty)
            #expect(try await harness.count("experience_ticket_variants") == 0)
            #expect(try await harness.count("experiences") > 0)
        }
    }

    @Test("revenue_by_ticket_variant.sql counts every guest of a live booking at its variant's catalog price")
    func revenueExample() async throws {
        try await SyncHarness.with { harness in
            let summary = try await harness.runner.sync(SyncHarness.options())
            #expect(summary.succeeded, "\(summary.failures)")
            let file = CitusLayoutTests.root.appendingPathComponent("sql/examples/revenue_by_ticket_variant.sql")
            let example = try String(contentsOf: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines).dropLast()
            let totals = try await harness.query("SELECT sum(tickets)::int AS tickets, sum(revenue)::text AS revenue FROM (\(example)\n) AS q").rows[0]
            let guests = try await harness.query(
                "SELECT sum(g.guests)::int AS g FROM understory.booking_guests g JOIN understory.bookings b ON b.company_id = g.company_id AND b.id = g.booking_id WHERE b.status <> 'CANCELLED' AND b._deleted_at IS NULL"
            ).rows[0]["g"].decode(Int.self)
            #expect(try totals["tickets"].decode(Int.self) == guests)
            #expect(guests > 0)
            // Priced from the simulator's catalog, independently of the example's joins.
            var expected = Decimal(0)
            let bookings = harness.simulator.truth().bookings
            for (id, item) in bookings {
                let booking = try #require(try JSONSerialization.jsonObject(with: Data(item.json.utf8)) as? [String: Any])
                guard booking["status"] as? String != "CANCELLED", let experience = booking["experience_id"] as? String else { continue }
                var prices: [String: Decimal] = [:]
                for json in harness.simulator.experienceTicketVariants(experienceID: experience) ?? [] {
                    let variant = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
                    let price = try #require(variant["price"] as? [String: Any])
                    prices[variant["id"] as! String] = Decimal(price["value"] as! Int) / 100
                }
                for json in harness.simulator.bookingTickets(bookingID: id) ?? [] {
                    let ticket = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
                    for line in ticket["items"] as? [[String: Any]] ?? [] where line["item_type"] as? String == "VARIANT" {
                        expected += Decimal(line["quantity"] as! Int) * (prices[line["type_id"] as! String] ?? 0)
                    }
                }
            }
            #expect(try Decimal(string: totals["revenue"].decode(String.self)) == expected)
        }
    }

    struct Variant: Hashable {
        let experienceID: String
        let id: String
        let position: Int
        let name: String?
        let currency: String?
        let priceMinor: Int64?
    }

    static func stored(_ harness: SyncHarness) async throws -> Set<Variant> {
        let rows = try await harness.query(
            "SELECT experience_id, id, position, name, currency, price_minor, (price * 100)::bigint = price_minor AS exact, raw ->> 'id' = id AS raw_ok FROM understory.experience_ticket_variants"
        ).rows
        return Set(try rows.map { row in
            #expect(try row["exact"].decode(Bool.self) && row["raw_ok"].decode(Bool.self))
            return Variant(
                experienceID: try row["experience_id"].decode(String.self), id: try row["id"].decode(String.self),
                position: try row["position"].decode(Int.self), name: try row["name"].decode(String?.self),
                currency: try row["currency"].decode(String?.self), priceMinor: try row["price_minor"].decode(Int64?.self)
            )
        })
    }

    /// What the simulator's ticket-variants route answers for every live experience.
    static func truth(_ harness: SyncHarness) throws -> Set<Variant> {
        var result = Set<Variant>()
        for id in harness.simulator.truth().experiences.keys {
            for (index, json) in (harness.simulator.experienceTicketVariants(experienceID: id) ?? []).enumerated() {
                let variant = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
                let price = variant["price"] as? [String: Any]
                result.insert(Variant(
                    experienceID: id, id: variant["id"] as! String, position: index + 1, name: variant["name"] as? String,
                    currency: price?["currency"] as? String, priceMinor: (price?["value"] as? Int).map(Int64.init)
                ))
            }
        }
        return result
    }
}
