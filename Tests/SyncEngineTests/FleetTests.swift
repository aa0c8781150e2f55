import Foundation
import PostgresClient
import SyncEngine
import SyncTestSupport
import Synchronization
import Testing
import UnderstoryAPI
import UnderstorySimulator

@Suite("Fleet: workers split connected accounts through leases in PostgreSQL")
struct FleetTests {
    @Test("two workers against 50 accounts split them with no overlap; every account equals its company's truth")
    func twoWorkersSplitFiftyAccounts() async throws {
        try await AccountHarness.with(AccountHarness.fleet(50)) { world in
            let ids = try await world.connectAll()
            #expect(ids.count == 50)
            let clock = VirtualClock(sleeps: .waitForAdvance)
            let a = world.worker("worker-a", clock: clock), b = world.worker("worker-b", clock: clock)
            async let passA = a.pass(options: SyncHarness.options())
            async let passB = b.pass(options: SyncHarness.options())
            let (first, second) = try await (passA, passB)

            let syncedByA = Set(first.outcomes.map(\.account.companyID)), syncedByB = Set(second.outcomes.map(\.account.companyID))
            #expect(first.outcomes.count + second.outcomes.count == 50, "each account synced once")
            #expect(syncedByA.isDisjoint(with: syncedByB))
            #expect(syncedByA.union(syncedByB) == Set(ids))
            #expect(!syncedByA.isEmpty && !syncedByB.isEmpty, "both workers took a share: \(syncedByA.count) / \(syncedByB.count)")
            let failures = (first.outcomes + second.outcomes).filter { !$0.succeeded }.map { "\($0.account.companyID): \(String(describing: $0.failure))" }
            #expect(failures.isEmpty, "\(failures)")

            // The run log agrees: one run per account, by the worker that reported it, never two at once.
            let runs = try await world.runsByCompany()
            #expect(runs.count == 50)
            for id in ids {
                #expect(runs[id]?.runs == 1)
                #expect(runs[id]?.workers == [syncedByA.contains(id) ? "worker-a" : "worker-b"])
            }
            #expect(try await world.overlappingRuns() == 0)

            for id in ids {
                let differences = try await world.differences(company: id)
                #expect(differences.isEmpty, "\(id): \(differences)")
            }
            // Released and scheduled an interval later (the injected random 0.5 means no jitter).
            let rows = try await world.query(
                "SELECT count(*) FILTER (WHERE lease_owner IS NULL AND consecutive_failures = 0 AND last_success_at IS NOT NULL) AS released FROM understory.accounts"
            ).rows[0]
            #expect(rows["released"].int == 50)
            for id in ids {
                #expect(abs(try await world.seconds(id, from: "last_success_at", to: "next_sync_at") - 3600) < 0.001)
            }

            // Nothing is due any more: another pass claims nothing.
            let again = try await a.pass(options: SyncHarness.options())
            #expect(again.outcomes.isEmpty)
            let fleet = try await world.fleetStatus()
            #expect(fleet.due == 0 && fleet.leased == 0 && fleet.failing == 0 && fleet.accounts.count == 50)
        }
    }

    @Test("a worker that died holding leases: its accounts wait until the leases expire, then another worker syncs them")
    func expiredLeasesAreTakenOver() async throws {
        try await AccountHarness.with(AccountHarness.fleet(6)) { world in
            let ids = try await world.connectAll()
            let clock = VirtualClock(sleeps: .waitForAdvance)
            // The dead worker claimed two accounts (as kill -9 would leave them) and never comes back.
            let dead = LeaseOwner("dead-host:4242:deadbeef")
            let taken = try await world.claims { try await $0.claim(owner: dead, limit: 2, lease: .seconds(1800)) }
            #expect(taken.count == 2)
            #expect(try await world.fleetStatus().leased == 2)

            let survivor = world.worker("survivor", clock: clock)
            let before = try await survivor.pass(options: SyncHarness.options())
            #expect(Set(before.outcomes.map(\.account.companyID)) == Set(ids).subtracting(taken.map(\.companyID)))
            #expect(try await world.runsByCompany().keys.filter { id in taken.contains { $0.companyID == id } }.isEmpty, "leased accounts untouched")

            // Past the lease's expiry the survivor takes them over.
            try await world.elapse(1801)
            let after = try await survivor.pass(options: SyncHarness.options())
            #expect(Set(after.outcomes.map(\.account.companyID)) == Set(taken.map(\.companyID)))
            #expect(after.outcomes.allSatisfy { $0.succeeded })
            for claim in taken {
                #expect(try await world.differences(company: claim.companyID).isEmpty)
                #expect(try await world.account(claim.companyID)["lease_owner"].isNull)
            }
            #expect(try await world.runsByCompany().values.allSatisfy { $0.runs == 1 })
            #expect(try await world.overlappingRuns() == 0)

            // The dead worker's late release changes nothing: the lease is no longer its own.
            let stale = try await world.claims {
                try await $0.release(owner: dead, companyID: taken[0].companyID, .failed(after: .zero, reason: "late"))
            }
            #expect(!stale)
            #expect(try await world.account(taken[0].companyID)["consecutive_failures"].int == 0)
        }
    }

    @Test("the heartbeat renews only the leases a worker still holds")
    func heartbeatRenewsHeldLeases() async throws {
        try await AccountHarness.with(AccountHarness.fleet(3)) { world in
            try await world.connectAll()
            let owner = LeaseOwner("w1"), other = LeaseOwner("w2")
            let mine = try await world.claims { try await $0.claim(owner: owner, limit: 2, lease: .seconds(3000)) }
            #expect(mine.count == 2)
            // A second claim at the same time skips the leased accounts.
            let theirs = try await world.claims { try await $0.claim(owner: other, limit: 5, lease: .seconds(3000)) }
            #expect(theirs.count == 1)
            #expect(Set(theirs.map(\.companyID)).isDisjoint(with: mine.map(\.companyID)))

            try await world.elapse(2000)
            let kept = try await world.claims {
                try await $0.renew(owner: owner, companyIDs: mine.map(\.companyID) + [theirs[0].companyID], lease: .seconds(3000))
            }
            #expect(kept == Set(mine.map(\.companyID)), "another worker's lease is not renewed")
            // 4000 s after the claim: w1's renewed leases hold, w2's expired one can be taken.
            try await world.elapse(2000)
            let third = try await world.claims { try await $0.claim(owner: LeaseOwner("w3"), limit: 5, lease: .seconds(3000)) }
            #expect(third.map(\.companyID) == [theirs[0].companyID])
        }
    }

    @Test("an account whose consent was revoked is skipped and reported; the others sync; it is never claimed again")
    func revokedAccountIsSkipped() async throws {
        try await AccountHarness.with(AccountHarness.fleet(3)) { world in
            let ids = try await world.connectAll()
            let revoked = ids[1]
            world.simulator.revokeConsent(company: revoked)
            let clock = VirtualClock(sleeps: .waitForAdvance)
            let worker = world.worker("w", clock: clock)

            let pass = try await worker.pass(options: SyncHarness.options())
            let byID = Dictionary(uniqueKeysWithValues: pass.outcomes.map { ($0.account.companyID, $0) })
            #expect((byID[revoked]?.failure as? UnderstoryAPIError)?.code == .reconnectRequired)
            #expect(ids.filter { $0 != revoked }.allSatisfy { byID[$0]?.succeeded == true })
            #expect(pass.needsReconnect.map(\.companyID) == [revoked], "reported")
            let row = try await world.account(revoked)
            #expect(try row["status"].decode(String.self) == "needs_reconnect")
            #expect(row["consecutive_failures"].int == 1)
            #expect(try await world.fleetStatus().failing == 1)

            // Long after any backoff it is still never claimed, and its token is not presented again.
            let refreshes = world.simulator.oauthStatistics.refreshes
            try await world.elapse(7 * 86_400)
            let later = try await worker.pass(options: SyncHarness.options())
            #expect(!later.outcomes.contains { $0.account.companyID == revoked })
            #expect(later.needsReconnect.map(\.companyID) == [revoked])
            #expect(world.simulator.oauthStatistics.refreshes == refreshes + 2, "only the two active accounts refreshed")
        }
    }

    @Test("a failing account backs off exponentially and counts its failures; a success resets them")
    func failingAccountBacksOff() async throws {
        try await AccountHarness.with(AccountHarness.fleet(1)) { world in
            let id = try await world.connectAll()[0]
            // Every API request fails with 5xx (a bad item would not do: it is set aside in
            // rejected_items and the account keeps its schedule).
            world.simulator.updateFaults { $0.errorRate = 1.0 }
            let clock = VirtualClock(sleeps: .waitForAdvance)
            let worker = world.worker("w", clock: clock)

            var pass = try await worker.pass(options: SyncHarness.options())
            #expect(pass.outcomes.count == 1 && !pass.outcomes[0].succeeded)
            var row = try await world.account(id)
            #expect(row["consecutive_failures"].int == 1)
            #expect(abs(try await world.seconds(id, from: "last_failure_at", to: "next_sync_at") - 3600) < 0.001)
            #expect(try row["last_failure"].decode(String?.self)?.isEmpty == false)

            // Not due before the backoff has passed.
            try await world.elapse(3000)
            #expect(try await worker.pass(options: SyncHarness.options()).outcomes.isEmpty)
            try await world.elapse(600)
            pass = try await worker.pass(options: SyncHarness.options())
            #expect(pass.outcomes.count == 1)
            row = try await world.account(id)
            #expect(row["consecutive_failures"].int == 2)
            #expect(abs(try await world.seconds(id, from: "last_failure_at", to: "next_sync_at") - 7200) < 0.001, "doubled")

            world.simulator.updateFaults { $0.errorRate = 0 }
            try await world.elapse(7200)
            pass = try await worker.pass(options: SyncHarness.options())
            #expect(pass.outcomes.first?.succeeded == true, "\(String(describing: pass.outcomes.first?.failure))")
            row = try await world.account(id)
            #expect(row["consecutive_failures"].int == 0)
            #expect(abs(try await world.seconds(id, from: "last_success_at", to: "next_sync_at") - 3600) < 0.001)
        }
    }

    @Test("jitter moves the next due time by at most the fraction either way; backoff doubles up to its ceiling")
    func policyArithmetic() {
        let low = FleetPolicy(every: .seconds(1000), jitter: 0.1, firstBackoff: .seconds(60), maxBackoff: .seconds(300), random: { 0 })
        let high = FleetPolicy(every: .seconds(1000), jitter: 0.1, firstBackoff: .seconds(60), maxBackoff: .seconds(300), random: { 0.999 })
        #expect(low.nextSyncDelay() == .seconds(900))
        #expect(abs(Self.seconds(high.nextSyncDelay()) - 1099.8) < 0.001)
        let exact = FleetPolicy(every: .seconds(1000), jitter: 0, firstBackoff: .seconds(60), maxBackoff: .seconds(300))
        #expect([1, 2, 3, 4, 10].map { exact.retryDelay(failures: $0) } == [60, 120, 240, 300, 300].map { .seconds($0) })
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    @Test("two workers whose clocks differ by 10 minutes: leases and due times follow the database's clock, so no lease is lost, no failure counted, no account synced twice at once")
    func skewedClocksAgreeOnLeases() async throws {
        try await AccountHarness.with(AccountHarness.fleet(3)) { world in
            let ids = try await world.connectAll()
            let onTime = world.worker("on-time", clock: VirtualClock(sleeps: .waitForAdvance)), ahead = world.worker("ahead", clock: VirtualClock(wall: Date().addingTimeInterval(600), sleeps: .waitForAdvance))
            // The on-time worker takes every account (3 slots) and sits in the API with them.
            world.simulator.holdAPIRequests(pathPrefix: "/v1/bookings")
            let first = Task { try await onTime.pass(options: SyncHarness.options()) }
            #expect(try await eventually { world.simulator.heldAPIRequests == 3 })
            #expect(try await world.fleetStatus().leased == 3)
            // Ten minutes ahead by its own clock, the other worker must still see live leases.
            let done = Mutex(false)
            let second = Task {
                defer { done.withLock { $0 = true } }
                return try await ahead.pass(options: SyncHarness.options())
            }
            let settled = try await eventually {
                if done.withLock({ $0 }) { return true }
                return try await world.count("accounts", where: "lease_owner = 'ahead'") > 0
            }
            #expect(settled)
            world.simulator.releaseAPIRequests()
            let (held, other) = (try await first.value, try await second.value)

            #expect(other.outcomes.isEmpty, "the leases were live: \(other.outcomes.map(\.account.companyID))")
            #expect(held.lostLeases.isEmpty)
            #expect(Set(held.outcomes.map(\.account.companyID)) == Set(ids))
            let failures = held.outcomes.filter { !$0.succeeded }.map { "\($0.account.companyID): \(String(describing: $0.failure))" }
            #expect(failures.isEmpty, "\(failures)")
            #expect(try await world.count("accounts", where: "consecutive_failures > 0") == 0)
            #expect(try await world.overlappingRuns() == 0)
            #expect(try await world.runsByCompany().values.allSatisfy { $0.runs == 1 && $0.workers == ["on-time"] })
            // Synced accounts are due an interval later on the database's clock, for both workers.
            #expect(try await ahead.pass(options: SyncHarness.options()).outcomes.isEmpty)
            #expect(try await onTime.pass(options: SyncHarness.options()).outcomes.isEmpty)
        }
    }
}
