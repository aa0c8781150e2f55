import Foundation
import SyncTestSupport
import Testing
import UnderstorySimulator

@Suite("reconcile: the binary against the simulator and a real PostgreSQL")
struct ReconcileCommandTests {
    @Test("booking deleted and a refund added without touching its order: `reconcile` exits 0 and the tables are exact; status shows the drift")
    func reconcileRepairs() async throws {
        try await CommandLineWorld.with { world in
            let sync = try await world.run("sync", "--events-past-days", "3650")
            #expect(sync.status == 0, "\(sync.output)")
            let booking = world.simulator.ids(.bookings)[7]
            let order = world.simulator.ids(.orders)[3]
            #expect(world.simulator.delete(.bookings, id: booking))
            #expect(world.simulator.changeOrderChildren(orderID: order, .addRefund))

            // An incremental sync cannot see either change.
            let blind = try await world.run("sync", "--events-past-days", "3650")
            #expect(blind.status == 0, "\(blind.output)")
            let refundsBefore = try await world.query("SELECT count(*) AS n FROM understory.order_refunds").rows[0]["n"].int

            let reconcile = try await world.run("reconcile", "--events-past-days", "3650")
            #expect(reconcile.status == 0, "\(reconcile.output)")
            #expect(reconcile.stdout.contains("reconcile run"), "\(reconcile.output)")
            for resource in TruthCheck.defaultResources {
                let diff = try await TruthCheck.differences(simulator: world.simulator, database: world.database, resource: resource, table: resource.rawValue)
                #expect(diff.isEmpty, "\(resource): \(diff)")
            }
            let truth = world.simulator.truth()
            let refunds = try await world.query("SELECT count(*) AS n FROM understory.order_refunds").rows[0]["n"].int
            #expect(refunds == truth.orderRefunds.values.reduce(0) { $0 + $1.count })
            #expect(refunds == (refundsBefore ?? 0) + 1)
            let ofOrder = try await world.query("SELECT count(*) AS n FROM understory.order_refunds WHERE order_id = '\(order)'").rows[0]["n"].int
            #expect(ofOrder == truth.orderRefunds[order]?.count)
            let deleted = try await world.query("SELECT count(*) AS n FROM understory.bookings WHERE id = '\(booking)' AND _deleted_at IS NOT NULL").rows[0]["n"].int
            #expect(deleted == 1)

            let status = try await world.run("status")
            print("status after a reconcile that found drift:\n\(status.stdout)")
            #expect(status.status == 0, "\(status.output)")
            #expect(status.stdout.contains("last reconcile: run"), "\(status.stdout)")
            let json = try await world.run("status", "--json")
            let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
            let last = (object?["last_reconciles"] as? [[String: Any]])?.first
            let drift = last?["drift"] as? [String: [String: Int]]
            #expect(drift?["bookings"]?["deleted"] == 1, "\(json.stdout)")
            #expect(drift?["orders"]?["children_fixed"] == 1, "\(json.stdout)")
        }
    }

    @Test("reconcile --dry-run reports the drift, exits 0 and changes nothing")
    func dryRun() async throws {
        try await CommandLineWorld.with { world in
            let sync = try await world.run("sync", "--events-past-days", "3650")
            #expect(sync.status == 0, "\(sync.output)")
            let booking = world.simulator.ids(.bookings)[2]
            #expect(world.simulator.delete(.bookings, id: booking))
            let run = try await world.run("reconcile", "--dry-run", "--resource", "bookings")
            #expect(run.status == 0, "\(run.output)")
            #expect(run.stdout.contains("dry run"), "\(run.stdout)")
            let line = run.stdout.split(separator: "\n").first { $0.hasPrefix("bookings") }.map(String.init) ?? ""
            #expect(line.split(separator: " ").map(String.init) == ["bookings", "0", "0", "1", "0", "3"], "\(run.stdout)")  // tickets audited: none differ
            let marked = try await world.query("SELECT count(*) AS n FROM understory.bookings WHERE _deleted_at IS NOT NULL").rows[0]["n"].int
            #expect(marked == 0)
            let runs = try await world.query("SELECT count(*) AS n FROM understory.sync_runs WHERE command = 'reconcile'").rows[0]["n"].int
            #expect(runs == 0)
        }
    }

    // An invalid --reconcile-cron and reconcile --help are parsed and rendered in-process: Tests/CommandParsingTests.
}
