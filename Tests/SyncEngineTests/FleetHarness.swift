import Foundation
import Logging
import PostgresClient
import SyncEngine
import SyncTestSupport
import Testing
import UnderstoryAPI
import UnderstorySimulator

/// A fleet's world: `AccountHarness` with many tiny companies, all connected through the
/// simulator's bulk consents (no browser), and workers on a clock the test moves.
extension AccountHarness {
    /// The primary company plus `count − 1` numbered ones, each a few records.
    static func fleet(_ count: Int) -> SimulatorConfiguration {
        var configuration = SimulatorConfiguration.smallAccount(seed: 21, bookings: 12, orders: 5, events: 4, experiences: 3)
        configuration.additionalCompanies = SimulatorCompany.numbered(count - 1)
        return configuration
    }

    /// Stores every company served as an active connected account. Returns their ids.
    @discardableResult
    func connectAll() async throws -> [String] {
        let grants = simulator.bulkConnect()
        try await PostgresConnection.withConnection(database, logger: logger) { connection in
            let store = AccountStore(connection: connection)
            for grant in grants {
                try await store.saveGranted(
                    companyID: grant.companyID, companyName: nil, clientID: simulator.appID, scopes: grant.scopes,
                    refreshToken: Secret(grant.refreshToken), key: key
                )
            }
        }
        return grants.map(\.companyID)
    }

    /// A worker whose lease and first backoff are an hour of the database's (real) clock, so that
    /// however slowly a starved test runs, neither lapses by itself: time passes by ``elapse(_:)``.
    /// `clock` is the worker's own (a `VirtualClock(sleeps: .waitForAdvance)` that nobody advances:
    /// the lease heartbeat and the pause between passes wait until cancelled).
    func worker(_ name: String, clock: VirtualClock, concurrency: Int = 3, random: Double = 0.5) -> FleetWorker {
        FleetWorker(
            accounts: accountSync, owner: LeaseOwner(name),
            policy: FleetPolicy(every: .seconds(3600), lease: .seconds(3600), jitter: 0.1, firstBackoff: .seconds(3600), random: { random }),
            concurrency: concurrency, clock: clock
        )
    }

    func claims<T>(_ body: (AccountClaims) async throws -> T) async throws -> T {
        try await PostgresConnection.withConnection(database, logger: logger) { try await body(AccountClaims(connection: $0)) }
    }

    func fleetStatus() async throws -> FleetStatus {
        try await PostgresConnection.withConnection(database, logger: logger) { try await FleetStatus.load(from: $0) }
    }

    /// `sync_runs` per company: how many runs, and by which workers.
    func runsByCompany() async throws -> [String: (runs: Int, workers: Set<String>)] {
        let rows = try await query(
            "SELECT company_id, count(*) AS n, string_agg(arguments->>'worker', ' ') AS workers FROM understory.sync_runs GROUP BY company_id"
        ).rows
        var result = [String: (runs: Int, workers: Set<String>)]()
        for row in rows {
            let workers = (try row["workers"].decode(String?.self) ?? "").split(separator: " ").map(String.init)
            result[try row["company_id"].decode(String.self)] = (try row["n"].decode(Int.self), Set(workers))
        }
        return result
    }

    /// Pairs of runs of one company whose time spans overlap (two syncs of one account at once).
    func overlappingRuns() async throws -> Int {
        try await query(
            """
            SELECT count(*) AS n FROM understory.sync_runs a JOIN understory.sync_runs b
              ON a.company_id = b.company_id AND a.id < b.id
             AND tstzrange(a.started_at, coalesce(a.finished_at, 'infinity')) && tstzrange(b.started_at, coalesce(b.finished_at, 'infinity'))
            """
        ).rows[0]["n"].int ?? -1
    }

    /// Time passing on the database's clock, which leases and due times follow: every time in
    /// `understory.accounts` moves `seconds` into the past.
    func elapse(_ seconds: Double) async throws {
        let columns = ["next_sync_at", "lease_expires_at", "heartbeat_at", "last_success_at", "last_failure_at", "connected_at"]
        try await query(
            "UPDATE understory.accounts SET " + columns.map { "\($0) = \($0) - $1::float8 * interval '1 second'" }.joined(separator: ", "),
            [seconds]
        )
    }

    func count(_ table: String, where condition: String) async throws -> Int {
        try await query("SELECT count(*)::int AS n FROM understory.\(table) WHERE \(condition)").rows[0]["n"].decode(Int.self)
    }

    /// Seconds from `from` to `to` of account `id`, both set on the database's clock.
    func seconds(_ id: String, from: String, to: String) async throws -> Double {
        try await query("SELECT extract(epoch FROM \(to) - \(from))::float8 AS s FROM understory.accounts WHERE company_id = $1", [id])
            .rows[0]["s"].decode(Double.self)
    }

    func account(_ id: String) async throws -> PostgresRow {
        try await query(
            "SELECT status, lease_owner, next_sync_at, consecutive_failures, last_success_at, last_failure FROM understory.accounts WHERE company_id = $1",
            [id]
        ).rows[0]
    }
}
