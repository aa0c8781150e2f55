import Foundation
import PostgresClient
import SyncEngine
import Synchronization
import SyncTestSupport
import Testing
import UnderstoryAPI
import UnderstorySimulator

@Suite("sync against the simulator and a real PostgreSQL")
struct SyncTests {
    @Test("a first sync makes every table equal to the simulator's truth")
    func firstSyncEqualsTruth() async throws {
        try await SyncHarness.with { harness in
            let summary = try await harness.runner.sync(SyncHarness.options())
            #expect(summary.succeeded, "\(summary.failures)")
            try await harness.expectEqualToTruth()
            #expect(summary.counts[.bookings]?.inserted == 250)
            #expect(summary.counts[.orders]?.inserted == 120)
            // Sessions are rebuilt from the events' JSON; money is exact.
            let sessions = try await harness.query(
                "SELECT count(*) AS n, (SELECT sum(jsonb_array_length(raw -> 'sessions')) FROM understory.events) AS expected FROM understory.event_sessions"
            ).rows[0]
            #expect(sessions["n"].int == sessions["expected"].int)
            let money = try await harness.query(
                """
                SELECT count(*) AS n FROM understory.orders
                WHERE total_amount <> (raw -> 'totals' -> 'amount' ->> 'value')::numeric / 10 ^ (raw -> 'totals' -> 'amount' ->> 'exponent')::int
                   OR currency <> raw -> 'totals' -> 'amount' ->> 'currency'
                   OR total_amount_minor <> (raw -> 'totals' -> 'amount' ->> 'value')::numeric
                """
            ).rows[0]["n"].decode(Int.self)
            #expect(money == 0)
            let exponents = try await harness.query(
                "SELECT array_agg(DISTINCT (raw -> 'totals' -> 'amount' ->> 'exponent')::int)::text AS e FROM understory.orders"
            ).rows[0]["e"].string
            #expect(exponents == "{0,2,3}")
            // The run is logged with its counts, and the watermark is the newest updated_at.
            let run = try await harness.query("SELECT status, counts -> 'bookings' ->> 'inserted' AS b FROM understory.sync_runs").rows
            #expect(run.count == 1)
            #expect(run.first?["status"].string == "succeeded")
            #expect(run.first?["b"].string == "250")
            let newest = harness.simulator.truth().bookings.values.map(\.updatedAtMicroseconds).max()!
            let watermark = try await harness.query(
                "SELECT (extract(epoch FROM watermark) * 1000000)::bigint AS w FROM understory.sync_state WHERE resource = 'bookings'"
            ).rows[0]["w"].decode(Int64.self)
            #expect(watermark == newest)
        }
    }

    @Test("after mutations an incremental sync is equal to the truth again and stops early")
    func incrementalAfterMutations() async throws {
        try await SyncHarness.with { harness in
            _ = try await harness.runner.sync(SyncHarness.options())
            let mutation = harness.simulator.mutate(updates: 6, creates: 3, cancels: 2)
            #expect(mutation.totalChanges > 0)
            harness.simulator.resetRequestCounts()
            let summary = try await harness.runner.sync(SyncHarness.options())
            #expect(summary.succeeded, "\(summary.failures)")
            try await harness.expectEqualToTruth()
            // 250 bookings at 100 per page would be 3 pages; the changes all sit on the first.
            #expect(Self.bookingListRequests(harness) <= 2)
            let changedOrders = Set((mutation.updated[.orders] ?? []) + (mutation.created[.orders] ?? []) + (mutation.cancelled[.orders] ?? []))
            let orderRequests = harness.simulator.requestCount(pathPrefix: "/v1/orders")
            #expect(orderRequests <= 2 + 3 * changedOrders.count, "orders requests: \(orderRequests) for \(changedOrders.count) changed orders")
            let counts = summary.counts[.bookings]!
            #expect(counts.inserted + counts.updated > 0)
            #expect(counts.unchanged <= 100)
        }
    }

    @Test("order children fetched ahead of small batches: equal to the truth; an incremental run fetches children of changed orders only")
    func orderChildrenAheadOfBatches() async throws {
        try await SyncHarness.with { harness in
            var options = SyncHarness.options()
            options.resources = [.orders]
            options.batchRows = 7
            let first = try await harness.runner.sync(options)
            #expect(first.succeeded, "\(first.failures)")
            try await harness.expectEqualToTruth([.orders])
            let mutation = harness.simulator.mutate(updates: 5, creates: 2, cancels: 1, resources: [.orders])
            let changed = Set((mutation.updated[.orders] ?? []) + (mutation.created[.orders] ?? []) + (mutation.cancelled[.orders] ?? []))
            harness.simulator.resetRequestCounts()
            let second = try await harness.runner.sync(options)
            #expect(second.succeeded, "\(second.failures)")
            try await harness.expectEqualToTruth([.orders])
            let childRequests = harness.simulator.requestCount(pathPrefix: "/v1/orders/")
            #expect(childRequests == 3 * changed.count, "\(childRequests) child requests for \(changed.count) changed orders")
        }
    }

    @Test("a second sync with no changes writes nothing")
    func idempotent() async throws {
        try await SyncHarness.with { harness in
            _ = try await harness.runner.sync(SyncHarness.options())
            let before = try await harness.query("SELECT max(_synced_at)::text AS t FROM understory.bookings").rows[0]["t"].string
            var options = SyncHarness.options()
            options.full = true
            let summary = try await harness.runner.sync(options)
            #expect(summary.counts.values.allSatisfy { $0.inserted == 0 && $0.updated == 0 })
            #expect(summary.counts[.bookings]?.unchanged == 250)
            let after = try await harness.query("SELECT max(_synced_at)::text AS t FROM understory.bookings").rows[0]["t"].string
            #expect(before == after)
            try await harness.expectEqualToTruth()
        }
    }

    @Test("faults together: 5xx, 429 with Retry-After, short tokens, unstable paging and mutations mid-sync")
    func faultsTogether() async throws {
        var configuration = SyncHarness.smallAccount(seed: 11)
        configuration.orders = 60
        try await SyncHarness.with(configuration) { harness in
            harness.simulator.updateFaults { faults in
                faults.errorRate = 0.10
                faults.rateLimitEveryN = 40
                faults.retryAfterSeconds = 1
                // Virtual time moves by every sleep of every concurrent request (429 waits, 5xx
                // back-offs), so a token must outlive a few of them between its fetch and its use;
                // 10 s still expires several times during the run (checked below).
                faults.tokenTTL = .seconds(10)
                faults.unstablePaging = true
                faults.mutateEveryNRequests = 25
                faults.mutationBatch = MutationBatch(updates: 2, creates: 1, cancels: 1)
            }
            var options = SyncHarness.options()
            options.pageSize = 25
            let first = try await harness.runner.sync(options)
            #expect(first.succeeded, "\(first.failures)")
            #expect(first.http.retries > 0)
            #expect(first.http.rateLimited > 0)
            #expect(first.http.tokensFetched > 3, "tokens expired during the run: \(first.http.tokensFetched) fetched")
            // Stop the weather, then one more sync catches what moved during the first.
            harness.simulator.setFaults(SimulatorFaults())
            let second = try await harness.runner.sync(options)
            #expect(second.succeeded, "\(second.failures)")
            try await harness.expectEqualToTruth()
            let duplicates = try await harness.query("SELECT count(*) - count(DISTINCT id) AS d FROM understory.bookings").rows[0]["d"].int
            #expect(duplicates == 0)
        }
    }

    @Test("a rejected cursor restarts the traversal instead of failing the run")
    func cursorExpiryRestarts() async throws {
        try await SyncHarness.with { harness in
            harness.simulator.updateFaults { $0.cursorTTL = .milliseconds(1); $0.latency = .milliseconds(5) }
            var options = SyncHarness.options()
            options.resources = [.bookings]
            options.maxRestarts = 2
            options.pageSize = 50
            let summary = try await harness.runner.sync(options)
            // Every cursor expires, so each traversal restarts until the bound, then fails clearly.
            #expect(!summary.succeeded)
            #expect(summary.counts[.bookings] == nil)
            let message = summary.failures[.bookings] ?? ""
            #expect(message.contains("cursor lost") && message.contains("restarted 2 times"), "\(message)")
            harness.simulator.setFaults(SimulatorFaults())
            let retry = try await harness.runner.sync(options)
            #expect(retry.succeeded)
            try await harness.expectEqualToTruth([.bookings])
        }
    }

    @Test(
        "a first sync that pauses until its cursors expire, answered with a plain 400 BAD_REQUEST (or 404, 410), restarts and stores everything",
        arguments: [CursorLossAnswer.badRequest, .notFound, .gone]
    )
    func pausedFirstSyncLosesCursors(wording: CursorLossAnswer) async throws {
        try await SyncHarness.with { harness in
            harness.simulator.updateFaults {
                $0.cursorTTL = .seconds(60)
                $0.cursorLoss = wording
            }
            var options = SyncHarness.options()
            options.resources = [.bookings, .orders]
            options.pageSize = 50
            options.batchRows = 50
            options.prefetchPages = 1
            // The run pauses for longer than a cursor lives once it has committed its first batch
            // (as a long child fetch between pages does on a real account).
            let pause = PauseOnce(clock: harness.clock, by: .seconds(61))
            let runner = SyncRunner(database: harness.database, client: harness.client, logger: harness.logger, progress: pause)
            let summary = try await runner.sync(options)
            #expect(summary.succeeded, "\(summary.failures)")
            let restarts = (summary.counts[.bookings]?.restarts ?? 0) + (summary.counts[.orders]?.restarts ?? 0)
            #expect(restarts >= 1 && restarts <= 6, "\(restarts) restarts")
            try await harness.expectEqualToTruth([.bookings, .orders])
        }
    }

    @Test("a second run on the same resource is refused with lockHeld, naming it; data intact")
    func lockHeld() async throws {
        try await SyncHarness.with { harness in
            _ = try await harness.runner.sync(SyncHarness.options())
            let companyID = harness.simulator.configuration.companyID
            try await PostgresConnection.withConnection(harness.database, logger: harness.logger) { holder throws in
                #expect(try await holder.tryAdvisoryLock("understory-sync:\(companyID):orders"))
                let error = await #expect(throws: SyncError.self) { try await harness.runner.sync(SyncHarness.options()) }
                #expect(error?.code == .lockHeld)
                #expect(error?.description.contains("orders") == true)
            }
            try await harness.expectEqualToTruth()
        }
    }

    @Test("an item missing a required field is rejected alone: the rest of its page and later pages are written, the watermark moves")
    func invalidItem() async throws {
        try await SyncHarness.with { harness in
            let newestFirst = harness.simulator.ids(.bookings, sort: "-updated_at")
            let bad = newestFirst[150]  // on the second page of 100
            #expect(harness.simulator.corrupt(resource: .bookings, id: bad, removingField: "status"))
            var options = SyncHarness.options()
            options.resources = [.bookings]
            options.batchRows = 100
            let summary = try await harness.runner.sync(options)
            #expect(summary.succeeded)
            let error = try #require(summary.firstError as? SyncError)
            #expect(error.code == .itemsRejected)
            #expect(try await harness.count("bookings") == 249)
            #expect(try await harness.count("bookings", where: "id = '\(bad)'") == 0)
            #expect(try await harness.count("rejected_items", where: "item_id = '\(bad)' AND reason LIKE '%status%'") == 1)
            let watermark = try await harness.query("SELECT watermark FROM understory.sync_state WHERE resource = 'bookings'").rows.first?["watermark"]
            #expect(watermark?.isNull == false)
            let run = try await harness.query("SELECT status, error FROM understory.sync_runs").rows[0]
            #expect(run["status"].string == "succeeded")
        }
    }

    @Test("a dry run reports what would change and commits nothing")
    func dryRun() async throws {
        try await SyncHarness.with { harness in
            var options = SyncHarness.options()
            options.dryRun = true
            let summary = try await harness.runner.sync(options)
            #expect(summary.counts[.bookings]?.inserted == 250, "\(summary.failures)")
            #expect(try await harness.count("bookings") == 0)
            #expect(try await harness.count("sync_runs") == 0)
            #expect(try await harness.count("sync_state") == 0)
        }
    }

    @Test("experiences no longer listed get _deleted_at after a complete pass")
    func experienceDeletion() async throws {
        try await SyncHarness.with { harness in
            var options = SyncHarness.options()
            options.resources = [.experiences]
            _ = try await harness.runner.sync(options)
            try await harness.query("INSERT INTO understory.experiences (company_id, id, state, created_at, updated_at, raw) SELECT company_id, 'gone-1', 'ACTIVE', now(), now(), '{}' FROM understory.experiences LIMIT 1")
            let summary = try await harness.runner.sync(options)
            #expect(summary.counts[.experiences]?.deleted == 1)
            #expect(try await harness.count("experiences", where: "_deleted_at IS NOT NULL") == 1)
            try await harness.expectEqualToTruth([.experiences])
        }
    }

    @Test("backfill interrupted and re-run resumes with fewer requests; the watermark is untouched")
    func backfillResumes() async throws {
        var configuration = SyncHarness.smallAccount(seed: 5)
        configuration.bookings = 400
        configuration.historyDays = 12
        try await SyncHarness.with(configuration, retry: RetryPolicy(maxAttempts: 2, totalBudget: .seconds(5), baseDelay: .milliseconds(10), maxDelay: .milliseconds(20))) { harness in
            let anchor = harness.simulator.configuration.anchor
            let window = try BackfillWindow(from: Timestamp(anchor.addingTimeInterval(-13 * 86_400)), to: Timestamp(anchor.addingTimeInterval(86_400)))
            // The API goes down after a few requests (one slice at a time: each of the first
            // slices takes one request; tickets and answers are left out so that a slice is one
            // request), so the first run finishes some slices and then fails.
            var options = SyncOptions()
            options.skipped.insert("tickets")
            options.skipped.insert("information-answers")
            let before = harness.simulator.requestCount(pathPrefix: "/v1/")
            harness.simulator.updateFaults { $0.outageAfterRequests = before + 4 }
            let first = try await harness.runner.backfill(resource: .bookings, window: window, concurrency: 1, options: options)
            #expect(!first.run.succeeded)
            let finished = try await harness.count("backfill_slices")
            #expect(finished >= 3)
            harness.simulator.setFaults(SimulatorFaults())
            let requestsBefore = Self.bookingListRequests(harness)
            let second = try await harness.runner.backfill(resource: .bookings, window: window, concurrency: 4, options: options)
            #expect(second.run.succeeded, "\(second.run.failures)")
            #expect(second.slicesSkipped == finished)
            let requestsSecond = Self.bookingListRequests(harness) - requestsBefore
            #expect(requestsSecond < window.slices.count + 400 / 100 + 1)
            try await harness.expectEqualToTruth([.bookings])
            #expect(try await harness.count("sync_state", where: "watermark IS NOT NULL") == 0)
            // The same backfill once more: every slice is done, nothing is fetched.
            let requestsBeforeThird = Self.bookingListRequests(harness)
            let third = try await harness.runner.backfill(resource: .bookings, window: window, concurrency: 4)
            #expect(third.run.succeeded)
            #expect(third.slicesDone == 0)
            #expect(third.slicesSkipped == window.slices.count)
            #expect(Self.bookingListRequests(harness) == requestsBeforeThird)
        }
    }

    /// Requests for `/v1/bookings` and single bookings, not counting their tickets.
    static func bookingListRequests(_ harness: SyncHarness) -> Int {
        harness.simulator.requestCounts()
            .filter { $0.key.hasPrefix("/v1/bookings") && !$0.key.hasSuffix("/tickets") && !$0.key.hasSuffix("/information-request-answers") }
            .values.map { $0.values.reduce(0, +) }.reduce(0, +)
    }
}

/// Moves virtual time past the cursors' lifetime once, after the first committed batch.
final class PauseOnce: ProgressReporter {
    private let clock: VirtualClock
    private let duration: Duration
    private let paused = Mutex(false)

    init(clock: VirtualClock, by duration: Duration) {
        self.clock = clock
        self.duration = duration
    }

    func batchCommitted(resource: Resource, records: Int, pages: Int) {
        guard paused.withLock({ paused in defer { paused = true }; return !paused }) else { return }
        clock.advance(by: duration)
    }
}
