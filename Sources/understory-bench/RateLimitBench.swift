import ArgumentParser
import Foundation
import UnderstorySimulator

/// `ratelimit`: a first sync (orders with their children, bookings with their tickets) against a
/// simulator that limits each client to R requests per second (a token bucket, burst 10, 429
/// without `Retry-After`), the limit unknown to the client. For each R, the sync runs twice from
/// an empty database: with the adaptive limiter off (the behaviour before it: a fixed wait after
/// each 429) and on. Reports the rate achieved against R, the share of 429s, and wall time
/// against the floor `requests ÷ R`.
struct RateLimitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ratelimit", abstract: "A first sync under an unknown token-bucket rate limit: rate achieved, 429s, wall vs requests ÷ R."
    )
    @OptionGroup var options: BenchOptions

    @Option(help: "Orders and bookings each (default 5000; quick 150).")
    var records: Int?

    @Option(help: "Limits to try, requests per second, comma-separated.")
    var rates: String = "5,20,50"

    @Option(help: "The wait after a 429 without Retry-After for the run with the limiter off (UNDERSTORY_RATE_LIMIT_WAIT; 60 is the default).")
    var offWait: Double = 60

    @Option(help: "Seconds after which a run is stopped (SIGTERM) and counted as not finished.")
    var deadline: Double = 900

    @Flag(help: "Only the adaptive limiter (skip the runs with it off, the behaviour before, measured already).")
    var adaptiveOnly = false

    struct Run {
        var rate: Double
        var adaptive: Bool
        var status: Int32
        var seconds: Double
        var requests: Int
        var limited: Int
        var orders: Int
        var bookings: Int
        var achieved: Double { Double(requests - limited) / seconds }
    }

    func run() async throws {
        let count = records ?? (options.quick ? 150 : 5_000)
        let dataset = Dataset(bookings: count, orders: count, events: 20, experiences: 3)
        let limits = rates.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
        var runs: [Run] = []
        for rate in limits {
            for adaptive in adaptiveOnly ? [true] : [false, true] {
                runs.append(try await Self.once(dataset, rate: rate, adaptive: adaptive, offWait: offWait, deadline: deadline, adminURL: try options.adminURL()))
            }
        }
        var table = Table(
            "7. Rate limit unknown to the client (first sync, \(count) orders with children + \(count) bookings with tickets; token bucket R/s, burst 10, 429 without Retry-After)",
            ["R", "limiter", "exit", "wall", "requests", "429s", "achieved", "of R", "wall ÷ (accepted ÷ R)", "orders / bookings stored"]
        )
        var report = Report()
        for run in runs {
            let accepted = run.requests - run.limited
            let floor = Double(accepted) / run.rate
            table.add(
                Format.int(Int(run.rate)), run.adaptive ? "adaptive" : "off (before)", "\(run.status)", Format.seconds(run.seconds),
                Format.int(run.requests), "\(Format.int(run.limited)) (\(Format.percent(Double(run.limited) / Double(max(1, run.requests)))))",
                Format.fixed(run.achieved, 1) + "/s", Format.percent(run.achieved / run.rate), Format.ratio(run.seconds / floor),
                "\(Format.int(run.orders)) / \(Format.int(run.bookings))"
            )
            if run.adaptive {
                let share = Double(run.limited) / Double(max(1, run.requests))
                report.target("R = \(Int(run.rate)): rate achieved", Format.percent(run.achieved / run.rate), "≥ 90 % of R", run.achieved >= 0.9 * run.rate)
                report.target("R = \(Int(run.rate)): 429s", Format.percent(share), "≤ 2 %", share <= 0.02)
                report.target("R = \(Int(run.rate)): wall ÷ (requests ÷ R)", Format.ratio(run.seconds / floor), "≤ 1.15×", run.seconds <= 1.15 * floor)
                report.target("R = \(Int(run.rate)): everything stored, exit 0", "exit \(run.status)", "0", run.status == 0 && run.orders == count && run.bookings == count)
            }
        }
        table.print()
        report.targets.print()
    }

    static func once(_ dataset: Dataset, rate: Double, adaptive: Bool, offWait: Double, deadline: Double, adminURL: String) async throws -> Run {
        try await BenchWorld.with(dataset, adminURL: adminURL) { world in
            world.simulator.updateFaults { $0.rateLimiter = RateLimiter(rate: rate, burst: 10) }
            let before = world.simulator.requestCount(pathPrefix: "/v1/"), limitedBefore = world.simulator.requestCount(pathPrefix: "/v1/", status: 429)
            let environment = world.environment.merging([
                "UNDERSTORY_ADAPTIVE_RATE": adaptive ? "on" : "off",
                "UNDERSTORY_RATE_LIMIT_WAIT": adaptive ? "60" : String(offWait),
            ]) { $1 }
            let run = try await ChildProcess.run(
                try BinaryFolder.binary("understory-sync"), ["sync", "--events-past-days", "3650", "--quiet"], environment: environment,
                timeout: .seconds(deadline)
            )
            return Run(
                rate: rate, adaptive: adaptive, status: run.status, seconds: run.seconds,
                requests: world.simulator.requestCount(pathPrefix: "/v1/") - before,
                limited: world.simulator.requestCount(pathPrefix: "/v1/", status: 429) - limitedBefore,
                orders: try await world.count("orders"), bookings: try await world.count("bookings")
            )
        }
    }
}
