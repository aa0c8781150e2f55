import ArgumentParser
import Foundation
import PostgresClient
import SyncEngine
import UnderstoryAPI
import UnderstorySimulator

#if canImport(Glibc)
import Glibc
#endif

/// `fleet`: many connected accounts (third-party mode) synced by 1, 2, 4 and 8 worker processes at
/// once (`sync --all-accounts --claim`, each a one-pass worker) against one PostgreSQL, with 50 ms
/// added to every API response. Each round starts from a fresh database with every account due.
/// Reports wall time to sync all, speed-up over one worker, requests, CPU per account (the
/// workers' user+sys from `wait4`, and the simulator's in this process), peak RSS per worker; checks
/// that every account's tables equal the simulator's truth and that no account ran in two workers at once.
struct FleetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleet",
        abstract: "Workers for many accounts: 1/2/4/8 `sync --all-accounts --claim` processes over 1 000 accounts at 50 ms API latency."
    )

    @OptionGroup var options: BenchOptions

    @Option(help: "Connected accounts (default 1000; quick 40), each about 200 bookings, 100 orders, 20 events.")
    var accounts: Int?

    @Option(help: "Worker process counts to compare, comma-separated (default 1,2,4,8).")
    var workers = "1,2,4,8"

    @Option(help: "Accounts each worker syncs at once (--concurrency of every worker).")
    var concurrency = 4

    @Option(help: "Milliseconds added to every API response.")
    var latency = 50

    var accountCount: Int { accounts ?? (options.quick ? 40 : 1_000) }
    var workerCounts: [Int] { workers.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    func validate() throws {
        guard (accounts ?? 1) >= 1 else { throw ValidationError("--accounts must be at least 1") }
        guard !workerCounts.isEmpty, workerCounts.allSatisfy({ $0 >= 1 }) else { throw ValidationError("--workers: e.g. 1,2,4,8") }
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
    }

    /// One company's share: small accounts, as a marketing or accounting app connects them.
    static func simulatorConfiguration(accounts: Int) -> SimulatorConfiguration {
        var configuration = SimulatorConfiguration(seed: 15, bookings: 200, orders: 100, events: 20, experiences: 3)
        configuration.adminEnabled = false
        configuration.additionalCompanies = SimulatorCompany.numbered(accounts - 1)
        return configuration
    }

    static let tokenKey = Data((0..<32).map { UInt8($0 &* 7 &+ 3) }).base64EncodedString()

    func run() async throws {
        let adminURL = try options.adminURL()
        let simulator = Simulator(configuration: Self.simulatorConfiguration(accounts: accountCount))
        let companies = simulator.companyIDs
        // Generate every company's data before anything is timed (the simulator makes them lazily).
        let truths = Dictionary(uniqueKeysWithValues: companies.map { ($0, TableTruth(simulator.truth(company: $0))) })
        let perAccount = truths.values.first.map { "\($0.counts[.bookings] ?? 0) bookings, \($0.counts[.orders] ?? 0) orders, \($0.counts[.events] ?? 0) events" } ?? ""
        simulator.updateFaults { $0.latency = .milliseconds(latency) }

        var rounds: [FleetRound] = []
        try await simulator.withServer {
            for count in workerCounts {
                let round = try await self.round(workers: count, simulator: simulator, truths: truths, adminURL: adminURL)
                rounds.append(round)
                FileHandle.standardError.write(Data("fleet: \(count) worker(s): \(Format.seconds(round.wall)), \(round.problems.count) problem(s)\n".utf8))
            }
        }

        let base = rounds.first { $0.workers == 1 }?.wall ?? rounds[0].wall * Double(rounds[0].workers)
        var table = Table(
            "7. Fleet: \(Format.int(accountCount)) accounts (\(perAccount) each), \(latency) ms API latency, \(concurrency) accounts at once per worker",
            ["workers", "wall to sync all", "speed-up", "requests", "worker CPU / account", "simulator CPU / account", "peak RSS / worker", "exact", "overlaps"]
        )
        for round in rounds {
            table.add(
                "\(round.workers)", Format.seconds(round.wall), String(format: "%.2f×", base / round.wall), Format.int(round.requests),
                String(format: "%.0f ms", round.workerCPU / Double(accountCount) * 1000),
                String(format: "%.0f ms", round.simulatorCPU / Double(accountCount) * 1000),
                String(format: "%.1f MB", round.peakRSSMB),
                round.problems.isEmpty ? "yes" : "**no**: \(round.problems.prefix(3).joined(separator: "; "))",
                "\(round.overlaps)"
            )
        }
        table.print()

        // What 10 000 accounts an hour need, from the one-worker round: a worker is bound by the API
        // latency it waits on (accounts/s at its concurrency) or by one core's CPU, whichever is lower.
        if let one = rounds.first(where: { $0.workers == 1 }) {
            let cpuPerAccount = one.workerCPU / Double(accountCount)
            let latencyBound = Double(accountCount) / one.wall * 3600
            let cpuBound = cpuPerAccount > 0 ? 3600 / cpuPerAccount : .infinity
            let perWorker = min(latencyBound, cpuBound)
            emit(
                String(
                    format: "One worker (concurrency %d): %.0f accounts/hour by its wall time here, %.0f accounts/hour if CPU (%.0f ms per account) were the only bound; 10 000 accounts in one hour need **%d** such workers (one core each), or fewer with a higher --concurrency while CPU allows.",
                    concurrency, latencyBound, cpuBound, cpuPerAccount * 1000, Int((10_000 / perWorker).rounded(.up))
                )
            )
        }
        var report = Report()
        if let one = rounds.first(where: { $0.workers == 1 }), let eight = rounds.first(where: { $0.workers == 8 }) {
            let speedUp = one.wall / eight.wall
            report.target("8 workers vs 1", String(format: "%.2f×", speedUp), "≥ 6×", speedUp >= 6)
        }
        let peak = rounds.map(\.peakRSSMB).max() ?? 0
        report.target("peak RSS per worker", String(format: "%.1f MB", peak), "≤ 150 MB", peak <= 150)
        let exact = rounds.allSatisfy { $0.problems.isEmpty && $0.overlaps == 0 }
        report.target("every account exact, none synced twice at once", exact ? "yes" : "no", "yes", exact)
        report.targets.print()
        if !exact { throw ExitCode(1) }
    }

    /// A fresh database (dropped afterwards) with every account connected and due, then `workers` processes at once.
    func round(workers: Int, simulator: Simulator, truths: [String: TableTruth], adminURL: String) async throws -> FleetRound {
        try await BenchWorld.withDatabase(named: "understory_fleet_\(getpid())_\(workers)_\(UInt32.random(in: 0...UInt32.max))", adminURL: adminURL) { url in
            try await round(workers: workers, simulator: simulator, truths: truths, url: url)
        }
    }

    /// `workers` processes at once against the empty database at `url`, every account connected and due.
    func round(workers: Int, simulator: Simulator, truths: [String: TableTruth], url: String) async throws -> FleetRound {
        let database = PostgresConfiguration(connectionString: url)
        let app = simulator.configuration.apps[0]
        let environment = [
            "DATABASE_URL": url, "UNDERSTORY_API_URL": simulator.baseURL, "UNDERSTORY_AUTH_URL": simulator.baseURL,
            "UNDERSTORY_CLIENT_ID": app.id, "UNDERSTORY_CLIENT_SECRET": app.secret, "UNDERSTORY_TOKEN_KEY": Self.tokenKey,
            "UNDERSTORY_RATE_LIMIT_WAIT": "1",
        ]
        let binary = try BinaryFolder.binary("understory-sync")
        let migrate = try await ChildProcess.run(binary, ["migrate", "--quiet"], environment: environment)
        guard migrate.status == 0 else { throw BenchError("migrate exited \(migrate.status): \(migrate.output.suffix(1000))") }
        let key = try TokenKey(text: Self.tokenKey)
        let grants = simulator.bulkConnect()
        try await PostgresConnection.withConnection(database, logger: BenchWorld.logger) { connection in
            for grant in grants {
                try await AccountStore(connection: connection).saveGranted(
                    companyID: grant.companyID, companyName: nil, clientID: app.id, scopes: grant.scopes, refreshToken: Secret(grant.refreshToken), key: key
                )
            }
        }

        simulator.resetRequestCounts()
        let simulatorCPUBefore = Self.ownCPUSeconds()
        let clock = ContinuousClock()
        let started = clock.now
        let arguments = [
            "sync", "--all-accounts", "--claim", "--concurrency", "\(concurrency)", "--every", "1h", "--events-past-days", "3650", "--quiet",
        ]
        let runs = try await withThrowingTaskGroup(of: ChildRun.self) { group in
            for _ in 0..<workers { group.addTask { try await ChildProcess.run(binary, arguments, environment: environment) } }
            var runs: [ChildRun] = []
            for try await run in group { runs.append(run) }
            return runs
        }
        let wall = (clock.now - started).seconds
        let simulatorCPU = Self.ownCPUSeconds() - simulatorCPUBefore
        let requests = simulator.requestCount(pathPrefix: "/v1/")
        for run in runs where run.status != 0 {
            throw BenchError("a worker exited \(run.status): \(run.output.suffix(2000))")
        }

        var problems: [String] = []
        let stored = try await TableTruth.stored(database: database)
        for (company, truth) in truths {
            problems += truth.differences(stored[company] ?? TableTruth()).map { "\(company): \($0)" }
        }
        let runCounts = try await PostgresConnection.withConnection(database, logger: BenchWorld.logger) { connection in
            try await connection.execute(
                "SELECT count(*) FILTER (WHERE status = 'succeeded') AS ok, count(DISTINCT company_id) AS companies, count(*) AS n FROM understory.sync_runs"
            ).rows[0]
        }
        let succeeded = try runCounts["ok"].decode(Int.self), synced = try runCounts["companies"].decode(Int.self)
        if succeeded != truths.count || synced != truths.count {
            problems.append("\(succeeded) succeeded runs over \(synced) accounts, expected one each for \(truths.count)")
        }
        // Two runs of one account whose times overlap, in different workers: must never happen.
        let overlaps = try await PostgresConnection.withConnection(database, logger: BenchWorld.logger) { connection in
            try await connection.execute(
                """
                SELECT count(*) AS n FROM understory.sync_runs a JOIN understory.sync_runs b
                  ON a.company_id = b.company_id AND a.id < b.id
                 AND a.started_at < coalesce(b.finished_at, 'infinity') AND b.started_at < coalesce(a.finished_at, 'infinity')
                """
            ).rows[0]["n"].decode(Int.self)
        }
        return FleetRound(
            workers: workers, wall: wall, requests: requests, workerCPU: runs.map(\.cpuSeconds).reduce(0, +), simulatorCPU: simulatorCPU,
            peakRSSMB: runs.map(\.peakRSSMB).max() ?? 0, problems: problems, overlaps: overlaps
        )
    }

    /// This process's user+sys CPU seconds so far (the simulator serves from here).
    static func ownCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.cpuSeconds
    }
}

struct FleetRound {
    var workers: Int
    var wall: Double
    var requests: Int
    var workerCPU: Double
    var simulatorCPU: Double
    var peakRSSMB: Double
    var problems: [String]
    var overlaps: Int
}

/// Each resource's live rows of one company as (id → `updated_at` in microseconds), from the
/// simulator's truth or from the tables, to compare a fleet round's result exactly and cheaply.
struct TableTruth {
    static let resources: [SimulatorResource] = [.bookings, .orders, .events, .experiences]
    var rows: [SimulatorResource: [String: Int64]] = [:]

    init() {}

    init(_ truth: SimulatorTruth) {
        for resource in Self.resources {
            rows[resource] = truth[resource].mapValues(\.updatedAtMicroseconds)
        }
    }

    var counts: [SimulatorResource: Int] { rows.mapValues(\.count) }

    /// Every company's stored rows, one query per table.
    static func stored(database: PostgresConfiguration) async throws -> [String: TableTruth] {
        var result: [String: TableTruth] = [:]
        try await PostgresConnection.withConnection(database, logger: BenchWorld.logger) { connection in
            for resource in resources {
                let rows = try await connection.execute(
                    """
                    SELECT company_id, id, (extract(epoch FROM updated_at) * 1000000)::bigint AS us
                    FROM understory.\(resource.rawValue) WHERE _deleted_at IS NULL
                    """
                ).rows
                for row in rows {
                    let company = try row["company_id"].decode(String.self)
                    result[company, default: TableTruth()].rows[resource, default: [:]][try row["id"].decode(String.self)] = try row["us"].decode(Int64.self)
                }
            }
        }
        return result
    }

    /// What differs from `stored`, by resource: ids missing, extra, or at another `updated_at`.
    func differences(_ stored: TableTruth) -> [String] {
        var problems: [String] = []
        for resource in Self.resources {
            let want = rows[resource] ?? [:], have = stored.rows[resource] ?? [:]
            let missing = want.keys.filter { have[$0] == nil }.count
            let extra = have.keys.filter { want[$0] == nil }.count
            let stale = want.filter { id, us in have[id].map { $0 != us } ?? false }.count
            if missing + extra + stale > 0 { problems.append("\(resource.rawValue): \(missing) missing, \(extra) extra, \(stale) at another updated_at") }
        }
        return problems
    }
}
