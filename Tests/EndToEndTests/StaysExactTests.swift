import Foundation
import PostgresClient
import SyncTestSupport
import Testing
import UnderstorySimulator

/// Issue 11's whole story through the binary, in one database over many runs: after every fault and
/// every piece of bad data, the tables equal the API again (or say precisely where and why not).
@Suite("the binary stays exact over months of drift")
struct StaysExactTests {
    /// Differences between every table and the simulator's truth (children by count and per order).
    static func differences(_ world: CommandLineWorld, except ignored: Set<String> = []) async throws -> [String] {
        var all: [String] = []
        for resource in TruthCheck.defaultResources {
            let diff = try await TruthCheck.differences(simulator: world.simulator, database: world.database, resource: resource, table: resource.rawValue)
            all += diff.filter { line in !ignored.contains(String(line.split(separator: " ").last ?? "")) }.map { "\(resource): \($0)" }
        }
        let truth = world.simulator.truth()
        for (table, expected) in [
            ("order_refunds", truth.orderRefunds), ("order_line_items", truth.orderLineItems), ("order_transactions", truth.orderTransactions),
        ] {
            let rows = try await world.query(
                "SELECT c.order_id, count(*) AS n FROM understory.\(table) c JOIN understory.orders o ON o.company_id = c.company_id AND o.id = c.order_id WHERE o._deleted_at IS NULL GROUP BY 1"
            ).rows
            var stored: [String: Int] = [:]
            for row in rows { stored[try row["order_id"].decode(String.self)] = try row["n"].decode(Int.self) }
            for (orderID, items) in expected where (stored[orderID] ?? 0) != items.count {
                all.append("\(table): order \(orderID) has \(stored[orderID] ?? 0), the API \(items.count)")
            }
        }
        return all
    }

    /// Runs the binary, stopping it if it has not ended within `limit` (a bound against a hang, never
    /// a measurement); nil when it had to be stopped.
    static func run(_ world: CommandLineWorld, _ arguments: [String], within limit: Duration) async throws -> CommandLineRun? {
        let process = try UnderstorySyncBinary.start(arguments, environment: world.environment)
        let watchdog = Task { () -> Bool in
            do { try await Task.sleep(for: limit) } catch { return false }  // Justified: a watchdog bound against a hang, never a measurement.
            guard process.isRunning else { return false }
            process.signal(SIGKILL)
            return true
        }
        let result = await UnderstorySyncBinary.finish(process)
        watchdog.cancel()
        return await watchdog.value ? nil : result
    }

    @Test("future timestamp, deletions, silent refunds, a poison item and a locked table: every run ends exact or says exactly why not")
    func staysExact() async throws {
        try await CommandLineWorld.with { world in
            let sim = world.simulator
            let window = ["--events-past-days", "3650"]
            var sync = try await UnderstorySyncBinary.run(["sync"] + window, environment: world.environment)
            #expect(sync.status == 0, "\(sync.output)")

            // 1. A booking stamped in 2036, then 200 changes: the next incremental run still sees them all.
            let future = sim.ids(.bookings)[4]
            #expect(sim.setFields(.bookings, id: future, [("updated_at", #""2036-01-01T00:00:00Z""#)]))
            sync = try await UnderstorySyncBinary.run(["sync"] + window, environment: world.environment)
            #expect(sync.status == 0, "\(sync.output)")
            for _ in 0..<10 { sim.mutate(updates: 20, creates: 1, cancels: 1, resources: [.bookings, .orders, .events]) }
            sync = try await UnderstorySyncBinary.run(["sync"] + window, environment: world.environment)
            #expect(sync.status == 0, "\(sync.output)")
            let drift1 = try await Self.differences(world)
            #expect(drift1.isEmpty, "\(drift1)")
            let watermark = try await world.query("SELECT max(watermark) < now() + interval '6 minutes' AS ok FROM understory.sync_state").rows[0]["ok"].bool
            #expect(watermark == true)

            // 2. An event deleted upstream: the next sync confirms the 404 and sets _deleted_at.
            let event = sim.ids(.events)[2]
            #expect(sim.delete(.events, id: event))
            sync = try await UnderstorySyncBinary.run(["sync"] + window, environment: world.environment)
            #expect(sync.status == 0, "\(sync.output)")
            let eventDeleted = try await world.query("SELECT _deleted_at IS NOT NULL AS d FROM understory.events WHERE id = '\(event)'").rows[0]["d"].bool
            #expect(eventDeleted == true)

            // 3. A booking deleted and a refund added without touching its order: sync cannot see
            //    either; reconcile repairs both.
            let booking = sim.ids(.bookings)[9]
            let order = sim.ids(.orders)[6]
            #expect(sim.delete(.bookings, id: booking))
            #expect(sim.changeOrderChildren(orderID: order, .addRefund))
            sync = try await UnderstorySyncBinary.run(["sync"] + window, environment: world.environment)
            #expect(sync.status == 0, "\(sync.output)")
            #expect(try await Self.differences(world) != [], "an incremental sync cannot see a deletion or a silent refund")
            let reconcile = try await UnderstorySyncBinary.run(["reconcile"] + window, environment: world.environment)
            #expect(reconcile.status == 0, "\(reconcile.output)")
            let drift2 = try await Self.differences(world)
            #expect(drift2.isEmpty, "\(drift2)")
            let status = try await world.run("status")
            print("status after a reconcile that found drift:\n\(status.stdout)")
            #expect(status.stdout.contains("last reconcile"), "\(status.stdout)")

            // 4. A poison item: exit 65 naming the table, everything else exact; once fixed, exit 0.
            let poison = sim.ids(.bookings)[12]
            #expect(sim.setFields(.bookings, id: poison, [("updated_at", #""not a time""#)]))
            sim.mutate(updates: 5, creates: 1, cancels: 0, resources: [.bookings, .orders])
            sync = try await UnderstorySyncBinary.run(["sync"] + window, environment: world.environment)
            #expect(sync.status == 65, "\(sync.output)")
            #expect(sync.stderr.contains("1 item rejected: see understory.rejected_items"), "\(sync.stderr)")
            let drift3 = try await Self.differences(world, except: [poison])
            #expect(drift3.isEmpty, "\(drift3)")
            // Fixed at the API: a valid updated_at, newer than anything stored.
            let newest = sim.truth().bookings.values.map(\.updatedAtMicroseconds).filter { $0 < 2_000_000_000_000_000 }.max() ?? 0
            let fixedAt = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(newest / 1_000_000 + 1)))
            #expect(sim.setFields(.bookings, id: poison, [("updated_at", "\"\(fixedAt)\"")]))
            sync = try await UnderstorySyncBinary.run(["sync"] + window, environment: world.environment)
            #expect(sync.status == 0, "\(sync.output)")
            let drift4 = try await Self.differences(world)
            #expect(drift4.isEmpty, "\(drift4)")
            let unresolved = try await world.query("SELECT count(*) AS n FROM understory.rejected_items WHERE resolved_at IS NULL").rows[0]["n"].int
            #expect(unresolved == 0)

            // 5. bookings locked by another session: that resource fails with 75 (bounded wait),
            //    the others commit and are exact.
            sim.mutate(updates: 10, creates: 2, cancels: 1, resources: [.bookings, .orders, .events])
            let locked = try await PostgresConnection.withConnection(world.database, logger: quietLogger) { holder in
                try await holder.execute("SET application_name = 'analyst-report'")
                try await holder.execute("BEGIN")
                try await holder.execute("LOCK TABLE understory.bookings IN ACCESS EXCLUSIVE MODE")
                let run = try await Self.run(world, ["sync", "--lock-timeout", "2"] + window, within: .seconds(300))
                try await holder.execute("ROLLBACK")
                return run
            }
            let run = try #require(locked, "sync did not end within 300 s while a table was locked")
            #expect(run.status == 75, "\(run.output)")
            #expect(run.stderr.contains("understory.bookings"), "\(run.stderr)")
            let others = try await Self.differences(world).filter { !$0.hasPrefix("bookings") }
            #expect(others == [])
            sync = try await UnderstorySyncBinary.run(["sync"] + window, environment: world.environment)
            #expect(sync.status == 0, "\(sync.output)")
            let drift5 = try await Self.differences(world)
            #expect(drift5.isEmpty, "\(drift5)")
        }
    }
}
