import AsyncHTTPClient
import Foundation
import Logging
import PostgresClient
import ServiceLifecycleTestKit
import SyncTestSupport
import Testing
import UnderstoryAPI
import UnderstorySimulator

@testable import SyncEngine

/// Issue 11 §5: no run hangs, and no run leaks.
@Suite("no run hangs, no run leaks")
struct RobustnessTests {
    /// A session that holds `LOCK TABLE understory.<table> IN ACCESS EXCLUSIVE MODE` until `release()`.
    final class TableLockHolder: Sendable {
        let connection: PostgresConnection
        let pid: Int

        static func lock(_ table: String, database: PostgresConfiguration) async throws -> TableLockHolder {
            let connection = try await PostgresConnection.connect(database, logger: quietLogger)
            try await connection.execute("SET application_name = 'lock-holder-test'")
            try await connection.execute("BEGIN")
            try await connection.execute("LOCK TABLE understory.\(table) IN ACCESS EXCLUSIVE MODE")
            let pid = try await connection.execute("SELECT pg_backend_pid() AS pid").rows[0]["pid"].decode(Int.self)
            return TableLockHolder(connection: connection, pid: pid)
        }

        private init(connection: PostgresConnection, pid: Int) {
            self.connection = connection
            self.pid = pid
        }

        func release() async {
            _ = try? await connection.execute("ROLLBACK")
            await connection.close()
        }
    }

    @Test("a table locked by another session fails only that resource after lock_timeout, naming the table and the holder; the others commit")
    func lockTimeoutFailsOnlyThatResource() async throws {
        try await SyncHarness.with { harness in
            let holder = try await TableLockHolder.lock("bookings", database: harness.database)
            let database = PostgresConfiguration(connectionString: harness.database.connectionString, sessionDefaults: [("lock_timeout", "1s")])
            let summary: SyncRunner.Summary
            do {
                summary = try await SyncRunner(database: database, client: harness.client, logger: harness.logger).sync(SyncHarness.options())
            } catch {
                await holder.release()
                throw error
            }
            await holder.release()

            #expect(Set(summary.failures.keys) == [.bookings], "\(summary.failures)")
            let message = summary.failures[.bookings] ?? ""
            #expect(message.contains("understory.bookings"), "\(message)")
            #expect(message.contains("pid \(holder.pid)"), "\(message)")
            #expect(message.contains("lock-holder-test"), "\(message)")
            #expect(message.contains("AccessExclusiveLock"), "\(message)")
            #expect(message.contains("lock_timeout (1s)"), "\(message)")
            #expect((summary.firstError as? SyncError)?.code == .lockTimeout)
            try await harness.expectEqualToTruth([.orders, .events, .experiences])
            #expect(try await harness.count("bookings") == 0)
            let stored = try await harness.query("SELECT last_error FROM understory.sync_state WHERE resource = 'bookings'").rows.first?["last_error"].string
            #expect(stored?.contains("understory.bookings") == true)
        }
    }

    @Test("graceful shutdown during a 60 s wait after a 429 (no Retry-After) ends the run interrupted at once")
    func shutdownInterruptsRateLimitWait() async throws {
        try await SyncHarness.with { harness in
            // /v1/me is request 1; the first bookings page (request 2) is answered 429 without Retry-After.
            harness.simulator.updateFaults { $0.rateLimitEveryN = 2; $0.retryAfterSeconds = nil }
            let stalled = VirtualClock(sleeps: .waitForAdvance)  // nobody advances it: the 60 s wait lasts until cancelled
            var api = try UnderstoryConfiguration.forSimulator(harness.simulator, rateLimitWait: .seconds(60))
            api.adaptiveRate = false  // the full wait after every 429
            let outcome: Result<SyncRunner.Summary, any Error>? = try await withHTTPClient(api) { http in
                let client = UnderstoryClient(configuration: api, httpClient: http, logger: harness.logger, clock: stalled)
                let runner = SyncRunner(database: harness.database, client: client, logger: harness.logger)
                var options = SyncHarness.options()
                options.resources = [.bookings]
                let fixedOptions = options
                return await testGracefulShutdown { trigger in
                    let run = Task { try await runner.sync(fixedOptions) }
                    #expect((try? await eventually { stalled.sleeps.contains(.seconds(60)) }) == true)
                    trigger.triggerGracefulShutdown()
                    return await bounded(run)
                }
            }
            guard case .success(let summary) = try #require(outcome) else {
                Issue.record("the run failed: \(String(describing: outcome))")
                return
            }
            #expect((summary.firstError as? SyncError)?.code == .interrupted, "\(summary.failures)")
            #expect(try await harness.query("SELECT status FROM understory.sync_runs").rows[0]["status"].string == "interrupted")
            #expect(try await harness.count("sync_state", where: "watermark IS NOT NULL") == 0, "an unfinished traversal moves no watermark")
        }
    }

    @Test("graceful shutdown cancels a statement blocked on a lock (PQcancel) after the grace; the run ends interrupted")
    func shutdownCancelsBlockedStatement() async throws {
        try await SyncHarness.with { harness in
            let holder = try await TableLockHolder.lock("bookings", database: harness.database)
            var options = SyncHarness.options()
            options.resources = [.bookings]
            options.shutdownGrace = .zero
            let runner = harness.runner  // no lock_timeout: without a cancel, the statement waits forever
            let fixedOptions = options
            let outcome: Result<SyncRunner.Summary, any Error>? = await testGracefulShutdown { trigger in
                let run = Task { try await runner.sync(fixedOptions) }
                let waiting = try? await eventually {
                    try await harness.query(
                        "SELECT count(*) AS n FROM pg_locks WHERE NOT granted AND relation = 'understory.bookings'::regclass"
                    ).rows[0]["n"].decode(Int.self) >= 1
                }
                #expect(waiting == true)
                trigger.triggerGracefulShutdown()
                return await bounded(run, onTimeout: { await holder.release() })
            }
            await holder.release()
            guard case .success(let summary) = try #require(outcome) else {
                Issue.record("the run failed: \(String(describing: outcome))")
                return
            }
            #expect((summary.firstError as? SyncError)?.code == .interrupted, "\(summary.failures)")
            #expect(summary.failures[.bookings]?.contains("stopped by a signal") == true, "\(summary.failures)")
            #expect(try await harness.query("SELECT status FROM understory.sync_runs").rows[0]["status"].string == "interrupted")
            let waiting = try await harness.query("SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()")
            #expect(try waiting.rows[0]["n"].decode(Int.self) == 0, "no statement is left waiting")
        }
    }

    @Test("the server's DETAIL (row values) is not stored in sync_runs or sync_state; SQLSTATE and constraint are")
    func detailNotStored() async throws {
        try await SyncHarness.with { harness in
            let id = try #require(harness.simulator.ids(.bookings, sort: "-updated_at").first)
            // A constraint the data breaks: its violation's DETAIL quotes the whole failing row.
            try await harness.query("ALTER TABLE understory.bookings ADD CONSTRAINT test_refuses_one CHECK (id <> '\(id)') NOT VALID")
            var options = SyncHarness.options()
            options.resources = [.bookings]
            let summary = try await harness.runner.sync(options)
            #expect(summary.failures[.bookings] != nil)
            let run = try await harness.query("SELECT error FROM understory.sync_runs").rows[0]["error"].string ?? ""
            let state = try await harness.query("SELECT last_error FROM understory.sync_state WHERE resource = 'bookings'").rows[0]["last_error"].string ?? ""
            for stored in [run, state, summary.failures[.bookings] ?? ""] {
                #expect(stored.contains("test_refuses_one") && stored.contains("23514"), "\(stored)")
                #expect(!stored.contains(id), "the failing row leaked: \(stored)")
                #expect(!stored.contains("Failing row"), "\(stored)")
            }
        }
    }

    @Test("a run's row becomes visible only with its liveness lock held, so markAbandonedRuns never marks a starting run")
    func runLockedBeforeVisible() async throws {
        try await SyncHarness.with { harness in
            // A deferred constraint trigger fires at the commit that makes the row visible, in the
            // inserting session: it records whether that session already holds the run's lock.
            try await harness.query("CREATE TABLE public.run_probe (run_id bigint, lock_held boolean)")
            try await harness.query(
                """
                CREATE FUNCTION public.probe_run() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                  INSERT INTO public.run_probe VALUES (NEW.id, EXISTS (
                    SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = pg_backend_pid()
                      AND ((classid::bigint << 32) | objid::bigint) = hashtextextended('understory-sync:run:' || NEW.id, 0)));
                  RETURN NULL;
                END $$
                """
            )
            try await harness.query(
                "CREATE CONSTRAINT TRIGGER probe AFTER INSERT ON understory.sync_runs DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION public.probe_run()"
            )
            try await PostgresConnection.withConnection(harness.database, logger: harness.logger) { runner in
                try await PostgresConnection.withConnection(harness.database, logger: harness.logger) { other in
                    let runID = try await RunLog(connection: runner).start(command: "sync", arguments: [:], companyID: "c")
                    let probe = try await other.execute("SELECT run_id, lock_held FROM public.run_probe").rows
                    #expect(probe.count == 1)
                    #expect(try probe.first?["lock_held"].decode(Bool.self) == true, "the row committed before its lock was held")
                    #expect(try await RunLog(connection: other).markAbandonedRuns().isEmpty)
                    let status = try await other.execute("SELECT status FROM understory.sync_runs WHERE id = $1", [runID]).rows[0]["status"].string
                    #expect(status == "running")
                }
            }
        }
    }

    @Test("backfill slices of bookings/orders overlap by one second; the window's end is not extended")
    func backfillSlicesOverlap() throws {
        let from = try #require(Timestamp(rfc3339: "2025-01-01T00:00:00Z"))
        let to = try #require(Timestamp(rfc3339: "2025-01-03T12:00:00Z"))
        let window = try BackfillWindow(from: from, to: to)
        let slices = window.slices
        #expect(slices.count == 3)
        for (slice, next) in zip(slices, slices.dropFirst()) {
            let request = window.request(for: slice)
            #expect(request.from == slice.from)
            #expect(request.to.secondsSinceEpoch == next.from.secondsSinceEpoch + 1, "\(request)")
        }
        #expect(window.request(for: slices.last!) == slices.last!)
    }

    @Test("backfill --force reloads finished slices (a resumed backfill skips them)")
    func backfillForce() async throws {
        var configuration = SyncHarness.smallAccount(seed: 9)
        configuration.historyDays = 5
        try await SyncHarness.with(configuration) { harness in
            let anchor = harness.simulator.configuration.anchor
            let window = try BackfillWindow(from: Timestamp(anchor.addingTimeInterval(-6 * 86_400)), to: Timestamp(anchor.addingTimeInterval(86_400)))
            let first = try await harness.runner.backfill(resource: .bookings, window: window, concurrency: 2)
            #expect(first.run.succeeded, "\(first.run.failures)")
            try await harness.expectEqualToTruth([.bookings])
            let lost = try #require(harness.simulator.ids(.bookings, sort: "-updated_at").first)
            try await harness.query("DELETE FROM understory.bookings WHERE id = $1", [lost])

            let resumed = try await harness.runner.backfill(resource: .bookings, window: window, concurrency: 2)
            #expect(resumed.slicesDone == 0 && resumed.slicesSkipped == window.slices.count)
            #expect(try await harness.count("bookings", where: "id = '\(lost)'") == 0)

            let forced = try await harness.runner.backfill(resource: .bookings, window: window, concurrency: 2, force: true)
            #expect(forced.run.succeeded, "\(forced.run.failures)")
            #expect(forced.slicesDone == window.slices.count && forced.slicesSkipped == 0)
            try await harness.expectEqualToTruth([.bookings])
        }
    }
}

/// Awaits `task` for at most 60 s (a bound against a hang, not a measurement); then runs
/// `onTimeout` (e.g. release a lock the task waits for), cancels the task and returns nil.
func bounded<T: Sendable>(
    _ task: Task<T, any Error>, onTimeout: @escaping @Sendable () async -> Void = {}
) async -> Result<T, any Error>? {
    await withTaskGroup(of: Result<T, any Error>?.self) { group in
        group.addTask { await task.result }
        group.addTask {
            try? await Task.sleep(for: .seconds(60))  // Justified: a bound against a hang, cancelled when the task ends.
            return nil
        }
        let first = await group.next() ?? nil
        if first == nil {
            Issue.record("the run did not end within 60 s")
            await onTimeout()
            task.cancel()
        }
        group.cancelAll()
        return first
    }
}

