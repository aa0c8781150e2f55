import ArgumentParser
import Foundation

/// `full`: section 1 and 2 — a first sync, then the fetch and load ceilings of the same data.
struct FullCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "full", abstract: "Full sync of a seeded account against the fetch and load ceilings of the same data.")
    @OptionGroup var options: BenchOptions

    func run() async throws {
        try await BenchWorld.with(options.dataset, adminURL: try options.adminURL()) { world in
            let result = try await Sections.fullSync(world, recording: true)
            let floor = try await Sections.httpFloor(world, targets: result.targets)
            let ceilings = try await Sections.ceilings(world)
            Report.fullSync(result, ceilings)
            emit("")
            Report.cpu([.init(name: "full sync", run: result.run, requests: result.targets.count, rows: result.records + result.childRows, floor: floor)])
        }
    }
}

/// `incremental`: section 3 — a first sync, 1 % changed, a second sync's requests per resource.
struct IncrementalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "incremental", abstract: "Requests per resource of a sync after 1 % of the records changed.")
    @OptionGroup var options: BenchOptions

    func run() async throws {
        try await BenchWorld.with(options.dataset, adminURL: try options.adminURL()) { world in
            let full = try await Sections.fullSync(world, recording: true)
            let fullFloor = try await Sections.httpFloor(world, targets: full.targets)
            let incremental = try await Sections.incremental(world)
            let floor = try await Sections.httpFloor(world, targets: incremental.targets)
            _ = Report.incremental(incremental)
            emit("")
            Report.cpu([
                .init(name: "full sync", run: full.run, requests: full.targets.count, rows: full.records + full.childRows, floor: fullFloor),
                .init(name: "incremental", run: incremental.run, requests: incremental.targets.count, rows: incremental.changed.values.reduce(0, +), floor: floor),
            ])
        }
    }
}

/// `backfill`: section 4 — one resource at concurrency 1, 4, 8, 16 under 50 ms latency, and once with 429s.
struct BackfillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "backfill", abstract: "Backfill under 50 ms latency at --concurrency 1, 4, 8, 16, and with 429s.")
    @OptionGroup var options: BenchOptions

    func run() async throws {
        try await BenchWorld.with(options.dataset, adminURL: try options.adminURL()) { world in
            Report.backfill(try await BenchAll.backfills(world, days: options.days), days: options.days)
        }
    }
}

/// `scale`: section 5 — full syncs at ¼, ½ and 1× the account.
struct ScaleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "scale", abstract: "Full sync at ¼, ½ and 1× the account: wall time and peak RSS.")
    @OptionGroup var options: BenchOptions

    func run() async throws {
        var results: [(Double, FullSyncResult)] = []
        for factor in [0.25, 0.5, 1] {
            let result = try await BenchWorld.with(options.dataset.scaled(factor), adminURL: try options.adminURL()) { try await Sections.fullSync($0) }
            results.append((factor, result))
        }
        Report.scale(results)
    }
}
