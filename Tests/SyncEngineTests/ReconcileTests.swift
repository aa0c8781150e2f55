import Foundation
import PostgresClient
import SyncEngine
import SyncTestSupport
import Testing
import UnderstoryAPI
import UnderstorySimulator

@Suite("reconcile: audit the tables against the API and repair the drift")
struct ReconcileTests {
    /// The drift counts of one resource, for comparison.
    struct Drift: Equatable, CustomStringConvertible {
        var missing = 0, stale = 0, deleted = 0, childrenFixed: Int?
        init(missing: Int = 0, stale: Int = 0, deleted: Int = 0, childrenFixed: Int? = nil) {
            (self.missing, self.stale, self.deleted, self.childrenFixed) = (missing, stale, deleted, childrenFixed)
        }
        init(_ counts: ResourceCounts?) {
            self.init(missing: counts?.missing ?? -1, stale: counts?.stale ?? -1, deleted: counts?.deleted ?? -1, childrenFixed: counts?.childrenFixed)
        }
        var description: String { "missing \(missing), stale \(stale), deleted \(deleted), children fixed \(childrenFixed.map(String.init) ?? "-")" }
    }

    @Test("booking and order deleted, a refund added silently, rows edited and deleted in the table: a dry run reports it all and changes nothing; reconcile makes the tables equal the truth and records the drift")
    func reconcileRepairsDrift() async throws {
        try await SyncHarness.with { harness in
            let first = try await harness.runner.sync(SyncHarness.options())
            #expect(first.succeeded, "\(first.failures)")
            let simulator = harness.simulator
            let bookings = simulator.ids(.bookings), orders = simulator.ids(.orders), experiences = simulator.ids(.experiences)
            // At the API: a booking and an order deleted, a refund added without touching its order.
            #expect(simulator.delete(.bookings, id: bookings[10]))
            #expect(simulator.delete(.orders, id: orders[4]))
            #expect(simulator.changeOrderChildren(orderID: orders[7], .addRefund))
            // In the tables: a typed column edited, a raw edited, a row deleted.
            try await harness.query("UPDATE understory.bookings SET status = 'TAMPERED' WHERE id = $1", [bookings[20]])
            try await harness.query("UPDATE understory.experiences SET raw = raw || '{\"edited\": true}' WHERE id = $1", [experiences[2]])
            try await harness.query("DELETE FROM understory.bookings WHERE id = $1", [bookings[30]])
            let expected: [Resource: Drift] = [
                .bookings: Drift(missing: 1, stale: 1, deleted: 1, childrenFixed: 0),
                .orders: Drift(deleted: 1, childrenFixed: 1),
                .events: Drift(),
                .experiences: Drift(stale: 1, childrenFixed: 0),
            ]

            var dryRun = SyncHarness.options()
            dryRun.dryRun = true
            let report = try await harness.runner.reconcile(dryRun)
            #expect(report.succeeded, "\(report.failures)")
            for resource in expected.keys {
                #expect(Drift(report.counts[resource]) == expected[resource], "dry run, \(resource)")
            }
            #expect(try await harness.count("sync_runs", where: "command = 'reconcile'") == 0)
            #expect(try await harness.count("bookings", where: "_deleted_at IS NOT NULL OR status = 'TAMPERED'") == 1)
            #expect(try await harness.count("bookings", where: "id = '\(bookings[30])'") == 0)
            #expect(try await harness.count("orders", where: "_deleted_at IS NOT NULL") == 0)

            let repair = try await harness.runner.reconcile(SyncHarness.options())
            #expect(repair.succeeded, "\(repair.failures)")
            for resource in expected.keys {
                #expect(Drift(repair.counts[resource]) == expected[resource], "reconcile, \(resource)")
            }
            try await harness.expectEqualToTruth()
            #expect(try await harness.count("bookings", where: "_deleted_at IS NOT NULL") == 1)
            #expect(try await harness.count("bookings", where: "id = '\(bookings[10])' AND _deleted_at IS NOT NULL") == 1)
            #expect(try await harness.count("orders", where: "id = '\(orders[4])' AND _deleted_at IS NOT NULL") == 1)
            #expect(try await harness.count("order_line_items", where: "order_id = '\(orders[4])'") == 0)

            // Recorded in sync_runs, and shown by status.
            let run = try await harness.query(
                "SELECT status, counts -> 'bookings' ->> 'missing' AS m, counts -> 'orders' ->> 'children_fixed' AS c FROM understory.sync_runs WHERE command = 'reconcile'"
            ).rows
            #expect(run.count == 1)
            #expect(run.first?["status"].string == "succeeded")
            #expect(run.first?["m"].string == "1")
            #expect(run.first?["c"].string == "1")
            let status = try await PostgresConnection.withConnection(harness.database, logger: harness.logger) { try await StatusReport.load(from: $0) }
            let last = try #require(status.lastReconciles.first)
            let bookingDrift = last.drift["bookings"]
            #expect(bookingDrift?.missing == 1 && bookingDrift?.stale == 1 && bookingDrift?.deleted == 1, "\(String(describing: bookingDrift))")
            #expect(last.drift["orders"]?.childrenFixed == 1)
            #expect(last.drift["http"] == nil)
            // A sync does not see a reconcile's counts as drift.
            let syncHasDrift = try await harness.query(
                "SELECT bool_or(e.value ? 'missing') AS m FROM understory.sync_runs s, jsonb_each(s.counts) AS e WHERE s.command = 'sync'"
            ).rows[0]["m"].decode(Bool.self)
            #expect(!syncHasDrift)

            // Nothing left to find.
            let again = try await harness.runner.reconcile(SyncHarness.options())
            for resource in expected.keys {
                let counts = again.counts[resource]
                #expect(counts?.missing == 0 && counts?.stale == 0 && counts?.deleted == 0, "\(resource): \(Drift(counts))")
            }
            #expect(again.counts[.orders]?.childrenFixed == 0)
            // Without marketing.read the consents are skipped, not failed.
            #expect(again.skipped[.marketingConsents] != nil)
        }
    }

    @Test("a booking's ticket and an experience's ticket variants changed at the API without their parent changing: sync cannot see it, reconcile repairs them (ticket items too) and reports children fixed")
    func reconcileRepairsTicketsAndVariants() async throws {
        try await SyncHarness.with { harness in
            _ = try await harness.runner.sync(SyncHarness.options())
            let simulator = harness.simulator
            let booking = simulator.ids(.bookings)[5], experience = simulator.ids(.experiences)[1]
            let ticketsBefore = try #require(simulator.bookingTickets(bookingID: booking))
            let variantsBefore = try #require(simulator.experienceTicketVariants(experienceID: experience))
            #expect(simulator.changeChildren(.bookings, id: booking))
            #expect(simulator.changeChildren(.experiences, id: experience))
            // A revision can hash to the same children (the data follows the current day): change again until they differ.
            for _ in 0..<8 where simulator.bookingTickets(bookingID: booking) == ticketsBefore { _ = simulator.changeChildren(.bookings, id: booking) }
            for _ in 0..<8 where simulator.experienceTicketVariants(experienceID: experience) == variantsBefore {
                _ = simulator.changeChildren(.experiences, id: experience)
            }
            let ticketsNow = try #require(simulator.bookingTickets(bookingID: booking))
            #expect(ticketsNow != ticketsBefore)
            #expect(simulator.experienceTicketVariants(experienceID: experience) != variantsBefore)

            // The parents did not change, so an incremental sync leaves the children as they were.
            _ = try await harness.runner.sync(SyncHarness.options())
            #expect(try await Self.ticketDifferences(harness, bookings: [booking]).count > 0)

            let repair = try await harness.runner.reconcile(SyncHarness.options())
            #expect(repair.succeeded, "\(repair.failures)")
            #expect(repair.counts[.bookings]?.childrenFixed == 1)
            #expect(repair.counts[.experiences]?.childrenFixed == 1)
            #expect(repair.counts[.orders]?.childrenFixed == 0)
            #expect(try await Self.ticketDifferences(harness, bookings: simulator.ids(.bookings)).isEmpty)
            #expect(try await ExperienceTicketVariantsTests.stored(harness) == (try ExperienceTicketVariantsTests.truth(harness)))
            // The ticket items follow their tickets.
            let items = try await harness.query(
                "SELECT count(*)::int AS n FROM understory.booking_ticket_items WHERE booking_id = $1", [booking]
            ).rows[0]["n"].decode(Int.self)
            let expectedItems = try ticketsNow.reduce(0) { sum, json in
                let ticket = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
                return sum + ((ticket["items"] as? [Any])?.count ?? 0)
            }
            #expect(items == expectedItems)
            let run = try await harness.query(
                "SELECT counts -> 'bookings' ->> 'children_fixed' AS b, counts -> 'experiences' ->> 'children_fixed' AS e FROM understory.sync_runs WHERE command = 'reconcile'"
            ).rows
            #expect(run.first?["b"].string == "1" && run.first?["e"].string == "1")

            let again = try await harness.runner.reconcile(SyncHarness.options())
            #expect(again.counts[.bookings]?.childrenFixed == 0)
            #expect(again.counts[.experiences]?.childrenFixed == 0)
        }
    }

    /// Tickets of `bookings` that differ between the table and the simulator (compared as jsonb).
    static func ticketDifferences(_ harness: SyncHarness, bookings: [String]) async throws -> [String] {
        var expected: [(parent: String, json: String)] = []
        for id in bookings {
            for json in harness.simulator.bookingTickets(bookingID: id) ?? [] { expected.append((id, json)) }
        }
        return try await TruthCheck.childDifferences(
            database: harness.database, companyID: harness.simulator.configuration.companyID, expected: expected,
            table: "booking_tickets", parentColumn: "booking_id"
        )
    }

    @Test("reconcile never lets an older version win: a stored row whose updated_at is ahead of the API's stays (not stale); one stamped beyond the future horizon is replaced")
    func newerRowStays() async throws {
        try await SyncHarness.with { harness in
            var options = SyncHarness.options()
            options.resources = [.bookings]
            _ = try await harness.runner.sync(options)
            let ids = harness.simulator.ids(.bookings)
            let ahead = ids[3], future = ids[4]
            try await harness.query("UPDATE understory.bookings SET updated_at = updated_at + interval '1 second', raw = raw || '{\"x\": 1}' WHERE id = $1", [ahead])
            try await harness.query("UPDATE understory.bookings SET updated_at = now() + interval '1 day', raw = raw || '{\"x\": 1}' WHERE id = $1", [future])
            let repair = try await harness.runner.reconcile(options)
            #expect(repair.succeeded, "\(repair.failures)")
            #expect(repair.counts[.bookings]?.stale == 1, "only the future-dated row")
            #expect(try await harness.count("bookings", where: "id = '\(ahead)' AND raw ? 'x'") == 1, "the newer row stays")
            #expect(try await harness.count("bookings", where: "id = '\(future)' AND raw ? 'x'") == 0, "the future-dated row is replaced")
            #expect(try await harness.differences(.bookings, table: "bookings") == ["extra \(ahead)", "missing \(ahead)"])
        }
    }

    @Test("stored bookings that stop decoding (one without its status, one without its id): reconcile quarantines them in rejected_items, never marks them deleted, still confirms the booking really deleted, and ends with itemsRejected")
    func undecodableItemsAreQuarantinedNotDeleted() async throws {
        try await SyncHarness.with { harness in
            var options = SyncHarness.options()
            options.resources = [.bookings]
            #expect(try await harness.runner.sync(options).succeeded)
            let simulator = harness.simulator
            let ids = simulator.ids(.bookings)
            let noStatus = ids[3], noID = ids[4], gone = ids[5]
            #expect(simulator.corrupt(resource: .bookings, id: noStatus, removingField: "status"))
            #expect(simulator.corrupt(resource: .bookings, id: noID, removingField: "id"))
            #expect(simulator.delete(.bookings, id: gone))

            let report = try await harness.runner.reconcile(options)
            #expect(report.succeeded, "\(report.failures)")
            #expect((report.firstError as? SyncError)?.code == .itemsRejected, "exit 65, as for a sync")
            #expect(report.counts[.bookings]?.deleted == 1)
            #expect(try await harness.count("bookings", where: "_deleted_at IS NOT NULL") == 1)
            #expect(try await harness.count("bookings", where: "_deleted_at IS NOT NULL AND id = '\(gone)'") == 1)
            #expect(try await harness.count("rejected_items", where: "resolved_at IS NULL AND item_id = '\(noStatus)'") == 1)
            #expect(try await harness.count("rejected_items", where: "resolved_at IS NULL AND item_id = '\(noID)'") == 1)

            // The next reconcile is no different: the quarantined items are still not deleted.
            let again = try await harness.runner.reconcile(options)
            #expect(again.succeeded, "\(again.failures)")
            #expect(again.counts[.bookings]?.deleted == 0)
            #expect(try await harness.count("bookings", where: "_deleted_at IS NOT NULL") == 1)
        }
    }

    @Test("an unlisted booking whose GET keeps failing (5xx) is left undecided: reconcile succeeds and marks nothing; the next one confirms the deletion")
    func failingGetLeavesIdUndecided() async throws {
        try await SyncHarness.with(.smallAccount(seed: 7, bookings: 40)) { harness in
            var options = SyncHarness.options()
            options.resources = [.bookings]
            options.skipped.insert("tickets")
            options.skipped.insert("information-answers")
            #expect(try await harness.runner.sync(options).succeeded)
            let simulator = harness.simulator
            let gone = simulator.ids(.bookings)[7]
            #expect(simulator.delete(.bookings, id: gone))

            // The one list page is answered; from then on every API request fails.
            simulator.holdAnswers(path: "/v1/bookings", count: 1)
            let reconcile = Task { try await harness.runner.reconcile(options) }
            #expect(try await eventually { simulator.heldAnswers == 1 })
            simulator.updateFaults { $0.errorRate = 1 }
            simulator.releaseHeldAnswers()
            let report = try await reconcile.value
            #expect(report.succeeded, "\(report.failures)")
            #expect(report.counts[.bookings]?.deleted == 0)
            #expect(try await harness.count("bookings", where: "_deleted_at IS NOT NULL") == 0, "undecided, not deleted")

            simulator.updateFaults { $0.errorRate = 0 }
            let again = try await harness.runner.reconcile(options)
            #expect(again.succeeded, "\(again.failures)")
            #expect(again.counts[.bookings]?.deleted == 1)
            #expect(try await harness.count("bookings", where: "_deleted_at IS NOT NULL AND id = '\(gone)'") == 1)
        }
    }

    @Test("reconcile never runs alongside a sync of the same resource: lockHeld, naming the resource")
    func reconcileRespectsSyncLock() async throws {
        try await SyncHarness.with { harness in
            _ = try await harness.runner.sync(SyncHarness.options())
            let companyID = harness.simulator.configuration.companyID
            try await PostgresConnection.withConnection(harness.database, logger: harness.logger) { holder throws in
                #expect(try await holder.tryAdvisoryLock("understory-sync:\(companyID):orders"))
                let error = await #expect(throws: SyncError.self) { try await harness.runner.reconcile(SyncHarness.options()) }
                #expect(error?.code == .lockHeld)
                #expect(error?.description.contains("orders") == true)
            }
        }
    }
}
