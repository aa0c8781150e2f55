import Foundation
import PostgresClient
import SyncTestSupport
import Testing
import UnderstorySimulator

@Suite("understory-sync with an item it cannot store")
struct RejectedItemsCommandTests {
    func unresolved(_ world: CommandLineWorld) async throws -> [String: Int] {
        let json = try await world.run("status", "--json")
        #expect(json.status == 0, "\(json.output)")
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let resources = object?["resources"] as? [[String: Any]] ?? []
        var counts: [String: Int] = [:]
        for resource in resources {
            if let name = resource["resource"] as? String { counts[name] = resource["rejected_items"] as? Int }
        }
        return counts
    }

    @Test("a poison item exits 65 pointing at rejected_items, the rest is exact; fixed, the next sync exits 0")
    func poisonThenFixed() async throws {
        try await CommandLineWorld.with { world in
            let item = world.simulator.truth().bookings.values.sorted { $0.id < $1.id }[2]
            #expect(world.simulator.setFields(.bookings, id: item.id, [("updated_at", #""not a time""#)]))

            let poisoned = try await world.run("sync", "--events-past-days", "3650")
            #expect(poisoned.status == 65, "\(poisoned.output)")
            #expect(poisoned.stderr.contains("1 item rejected: see understory.rejected_items"), "\(poisoned.stderr)")
            #expect(poisoned.stdout.contains("rejected"))
            for resource in [SimulatorResource.bookings, .orders, .events, .experiences] {
                let diff = try await TruthCheck.differences(
                    simulator: world.simulator, database: world.database, resource: resource, table: resource.rawValue,
                    absent: resource == .bookings ? [item.id] : []
                )
                #expect(diff.isEmpty, "\(resource): \(diff)")
            }
            let status = try await world.run("status")
            #expect(status.status == 0)
            #expect(status.stdout.contains("1 rejected item unresolved"), "\(status.stdout)")
            #expect(try await unresolved(world)["bookings"] == 1)

            #expect(world.simulator.setFields(.bookings, id: item.id, [("updated_at", "\"\(item.updatedAt)\"")]))
            let fixed = try await world.run("sync", "--events-past-days", "3650")
            #expect(fixed.status == 0, "\(fixed.output)")
            let diff = try await TruthCheck.differences(simulator: world.simulator, database: world.database, resource: .bookings, table: "bookings")
            #expect(diff.isEmpty, "\(diff)")
            #expect(try await unresolved(world).values.allSatisfy { $0 == 0 })
        }
    }
}
