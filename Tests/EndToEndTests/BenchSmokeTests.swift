import Foundation
import SyncTestSupport
import Testing

/// The benchmark's quick mode as a smoke test: it must complete and print its tables. Nothing is
/// timed or compared here (thresholds belong to BENCHMARKS.md, never to a test).
@Suite("understory-bench")
struct BenchSmokeTests {
    @Test("all --quick completes against the simulator and PostgreSQL and prints every table")
    func quickRunPrintsTheTables() async throws {
        try await TestDatabase.withFreshDatabase { database in
            let bench = UnderstorySyncBinary.url.deletingLastPathComponent().appendingPathComponent("understory-bench")
            let process = try ChildProcess.start(
                bench.path, ["all", "--quick", "--database-url", database.connectionString!],
                environment: ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("UNDERSTORY_") && $0.key != "DATABASE_URL" }
            )
            let run = await UnderstorySyncBinary.finish(process)
            #expect(run.status == 0, "\(run.output)")
            for heading in ["### 0. COPY", "### 1. Full sync", "### 3. Incremental", "### 4. Backfill", "### 5. Scale", "### Targets"] {
                #expect(run.stdout.contains(heading), "missing \(heading) in:\n\(run.output)")
            }
            #expect(run.stdout.contains("sync wall ÷ max(fetch, load)"))
        }
    }
}
