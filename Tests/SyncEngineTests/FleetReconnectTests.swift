import Foundation
import Logging
import PostgresClient
import SyncEngine
import SyncTestSupport
import Synchronization
import Testing
import UnderstoryAPI
import UnderstorySimulator

@Suite("a fleet worker survives a lost PostgreSQL connection")
struct FleetReconnectTests {
    @Test("a backend terminated during the worker's first pass is retried on a new connection; the accounts are synced")
    func firstPassLosesItsConnection() async throws {
        try await AccountHarness.with(AccountHarness.fleet(3)) { harness in
            let ids = try await harness.connectAll()
            // The first claim's backend terminates itself (a sequence is not rolled back, so only once).
            try await harness.query("CREATE SEQUENCE understory.kill_once")
            try await harness.query(
                """
                CREATE FUNCTION understory.kill_once() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF nextval('understory.kill_once') = 1 THEN PERFORM pg_terminate_backend(pg_backend_pid()); END IF;
                    RETURN NEW;
                END $$
                """
            )
            try await harness.query(
                "CREATE TRIGGER kill_once BEFORE UPDATE ON understory.accounts FOR EACH ROW EXECUTE FUNCTION understory.kill_once()"
            )
            let worker = FleetWorker(
                accounts: harness.accountSync, owner: LeaseOwner("w1"),
                policy: FleetPolicy(every: .seconds(3600), lease: .seconds(60), jitter: 0.1, firstBackoff: .seconds(60), maxIdle: .milliseconds(200), random: { 0.5 }),
                concurrency: 2  // on the system clock: the pause between passes is `maxIdle` (200 ms), never measured
            )
            let run = Task { try await worker.run(options: SyncOptions()) }
            let synced = try await eventually {
                try await harness.query("SELECT count(DISTINCT company_id) AS n FROM understory.sync_runs WHERE status = 'succeeded'").rows[0]["n"].decode(Int.self) == ids.count
            }
            run.cancel()
            let result = await run.result
            if case .failure(let error) = result, !(error is CancellationError) {
                Issue.record("the worker stopped with \(error)")
            }
            #expect(synced, "every account synced after the lost connection")
            #expect(try await harness.query("SELECT last_value AS n FROM understory.kill_once").rows[0]["n"].decode(Int.self) >= 1, "the backend was terminated")
        }
    }
}
