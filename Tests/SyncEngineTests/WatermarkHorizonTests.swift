import Foundation
import PostgresClient
import SyncEngine
import Testing
import UnderstorySimulator

/// Incremental sync must not be frozen by one record: a future `updated_at` (a clock bug at the
/// API) or a listing that ignores `sort=-updated_at` must never make later changes invisible.
@Suite("incremental sync survives future timestamps and unsorted listings")
struct WatermarkHorizonTests {
    /// The stored watermark of a resource, or nil.
    static func watermark(_ harness: SyncHarness, _ resource: String) async throws -> Date? {
        try await harness.query("SELECT watermark FROM understory.sync_state WHERE resource = $1", [resource]).rows.first?["watermark"].decode(Date?.self)
    }

    /// Spreads `total` updates over several mutations (each mutation stamps one instant).
    static func change(_ simulator: Simulator, total: Int, resources: Set<SimulatorResource> = [.bookings, .orders]) {
        for _ in 0..<(total / 20) { simulator.mutate(updates: 20, creates: 0, cancels: 0, resources: resources) }
    }

    @Test("an item stamped in 2036 is stored as sent, never becomes the watermark, and later changes still sync")
    func futureTimestamp() async throws {
        try await SyncHarness.with { harness in
            _ = try await harness.runner.sync(SyncHarness.options())
            let ids = harness.simulator.truth().bookings.keys.sorted()
            let future = ids[10]
            let orderID = harness.simulator.truth().orders.keys.sorted()[4]
            harness.simulator.setFields(.bookings, id: future, [("updated_at", #""2036-01-01T00:00:00Z""#)])
            harness.simulator.setFields(.orders, id: orderID, [("updated_at", #""2036-06-01T12:00:00.5Z""#)])

            let first = try await harness.runner.sync(SyncHarness.options())
            #expect(first.succeeded, "\(first.failures)")
            #expect(first.counts[.bookings]?.futureDated == 1)
            #expect(first.counts[.orders]?.futureDated == 1)
            try await harness.expectEqualToTruth()
            let stored = try await harness.query("SELECT updated_at FROM understory.bookings WHERE id = $1", [future]).rows[0]["updated_at"].decode(Date.self)
            #expect(stored == Date(timeIntervalSince1970: 2_082_758_400))
            let horizon = Date().addingTimeInterval(300 + 60)
            for resource in ["bookings", "orders"] {
                let watermark = try #require(try await Self.watermark(harness, resource))
                #expect(watermark < horizon, "\(resource) watermark \(watermark) is in the future")
            }
            let recorded = try await harness.query(
                "SELECT counts -> 'bookings' ->> 'future_dated' AS f FROM understory.sync_runs ORDER BY id DESC LIMIT 1"
            ).rows[0]["f"].string
            #expect(recorded == "1")

            // 200 changes later, an incremental run still sees every one of them.
            Self.change(harness.simulator, total: 200)
            let second = try await harness.runner.sync(SyncHarness.options())
            #expect(second.succeeded, "\(second.failures)")
            try await harness.expectEqualToTruth()

            // When the API's clock is fixed, the next version replaces the future-dated row.
            harness.simulator.touch(.bookings, id: future)
            harness.simulator.touch(.orders, id: orderID)
            _ = try await harness.runner.sync(SyncHarness.options())
            try await harness.expectEqualToTruth()
        }
    }

    @Test("a watermark left in the future by an older version is pulled back and changes sync again")
    func storedFutureWatermark() async throws {
        try await SyncHarness.with { harness in
            _ = try await harness.runner.sync(SyncHarness.options())
            try await harness.query("UPDATE understory.sync_state SET watermark = '2036-01-01T00:00:00Z' WHERE resource IN ('bookings', 'orders')")
            Self.change(harness.simulator, total: 100)
            let summary = try await harness.runner.sync(SyncHarness.options())
            #expect(summary.succeeded, "\(summary.failures)")
            try await harness.expectEqualToTruth()
            let horizon = Date().addingTimeInterval(300 + 60)
            for resource in ["bookings", "orders"] {
                let watermark = try #require(try await Self.watermark(harness, resource))
                #expect(watermark < horizon)
            }
        }
    }

    @Test("a listing that ignores sort=-updated_at is read to the end, warned about once and recorded")
    func unsortedListing() async throws {
        try await SyncHarness.with { harness in
            _ = try await harness.runner.sync(SyncHarness.options())
            harness.simulator.updateFaults { $0.ignoreUpdatedAtSort = true }
            Self.change(harness.simulator, total: 40)
            harness.simulator.resetRequestCounts()
            let summary = try await harness.runner.sync(SyncHarness.options())
            #expect(summary.succeeded, "\(summary.failures)")
            try await harness.expectEqualToTruth()
            #expect((summary.counts[.bookings]?.unorderedPages ?? 0) > 0)
            #expect((summary.counts[.orders]?.unorderedPages ?? 0) > 0)
            // 250 bookings at 100 a page: the run read all three pages instead of stopping at one.
            #expect(SyncTests.bookingListRequests(harness) == 3)
            let recorded = try await harness.query(
                "SELECT (counts -> 'bookings' ->> 'unordered_pages')::int AS n FROM understory.sync_runs ORDER BY id DESC LIMIT 1"
            ).rows[0]["n"].decode(Int.self)
            #expect(recorded > 0)

            // An honest listing is trusted again on the next run: it stops at the watermark.
            harness.simulator.updateFaults { $0.ignoreUpdatedAtSort = false }
            harness.simulator.mutate(updates: 3, creates: 0, cancels: 0, resources: [.bookings])
            harness.simulator.resetRequestCounts()
            let next = try await harness.runner.sync(SyncHarness.options())
            #expect(next.counts[.bookings]?.unorderedPages == 0)
            #expect(SyncTests.bookingListRequests(harness) <= 2)
            try await harness.expectEqualToTruth()
        }
    }

    @Test("offset paging that repeats items while others move to the top is not taken for disorder")
    func shiftingPagesAreNotDisorder() async throws {
        try await SyncHarness.with { harness in
            _ = try await harness.runner.sync(SyncHarness.options())
            Self.change(harness.simulator, total: 120, resources: [.bookings])
            harness.simulator.updateFaults { faults in
                faults.unstablePaging = true
                faults.mutateEveryNRequests = 1
                faults.mutationBatch = MutationBatch(updates: 1, creates: 2, cancels: 0, resources: [.bookings])
            }
            var options = SyncHarness.options()
            options.resources = [.bookings]
            options.pageSize = 20
            let summary = try await harness.runner.sync(options)
            #expect(summary.succeeded, "\(summary.failures)")
            #expect(summary.counts[.bookings]?.unorderedPages == 0)
            harness.simulator.setFaults(SimulatorFaults())
            _ = try await harness.runner.sync(options)
            try await harness.expectEqualToTruth([.bookings])
        }
    }
}
