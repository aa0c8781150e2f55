import Foundation
import PostgresClient
import SyncEngine
import SyncTestSupport
import Testing
import UnderstoryAPI
import UnderstorySimulator

@Suite("reconcile in third-party mode")
struct ReconcileAccountsTests {
    @Test("reconcile --all-accounts: a booking deleted in one company is marked there only, though the other company has the same id")
    func deletionStaysInItsAccount() async throws {
        try await AccountHarness.with { world in
            let first = try await world.connect()
            let second = try await world.connect(company: AccountHarness.secondCompany)
            let synced = try await world.accountSync.sync(.all, concurrency: 2, options: SyncHarness.options())
            #expect(synced.allSatisfy { $0.succeeded }, "\(synced.map { String(describing: $0.failure) })")
            let id = world.simulator.ids(.bookings, company: second.companyID)[12]
            #expect(world.simulator.ids(.bookings, company: first.companyID).contains(id), "the companies share booking ids")
            #expect(world.simulator.delete(.bookings, id: id, company: second.companyID))

            let outcomes = try await world.accountSync.reconcile(.all, concurrency: 2, options: SyncHarness.options())
            #expect(outcomes.allSatisfy { $0.succeeded }, "\(outcomes.map { String(describing: $0.failure) })")
            let byCompany = Dictionary(uniqueKeysWithValues: outcomes.map { ($0.account.companyID, $0.summary?.counts[.bookings]?.deleted) })
            #expect(byCompany[first.companyID] == 0)
            #expect(byCompany[second.companyID] == 1)
            let marked = try await world.query("SELECT company_id FROM understory.bookings WHERE _deleted_at IS NOT NULL").rows
            #expect(marked.map { $0["company_id"].string } == [second.companyID])
            #expect(try await world.differences(company: first.companyID).isEmpty)
            #expect(try await world.differences(company: second.companyID).isEmpty)
            let runs = try await world.query("SELECT count(*) AS n FROM understory.sync_runs WHERE command = 'reconcile' AND status = 'succeeded'").rows[0]["n"].int
            #expect(runs == 2)
        }
    }
}
