import ArgumentParser
import Foundation

/// `all`: every section in one run, then the targets met or missed.
struct BenchAll: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "all",
        abstract: "Every benchmark in one run (COPY, full sync with ceilings, incremental, backfill, scale) and a summary of the targets."
    )
    @OptionGroup var options: BenchOptions

    @Option(help: "Rows of the wrapper-vs-psql COPY comparison (default 200 000; quick 5 000).")
    var copyRows: Int?

    func run() async throws {
        let url = try options.adminURL()
        let dataset = options.dataset
        var report = Report()
        emit("understory-bench all\(options.quick ? " --quick" : ""): \(dataset); machine: \(Report.machine())")

        // 0. COPY through the wrapper vs psql \copy (same rows, same table).
        let copy = try await CopyBench.measure(url: url, rows: copyRows ?? (options.quick ? 5_000 : 200_000), rounds: options.quick ? 1 : 2)
        copy.table.print()
        report.target("wrapper COPY ≥ 80 % of psql \\copy rows/s", Format.percent(copy.encodeRatio), "≥ 80 %", copy.encodeRatio >= 0.8)

        // 1–4 on one account: full sync, ceilings, incremental, backfill.
        let (full, incremental) = try await BenchWorld.with(dataset, adminURL: url) { world in
            let full = try await Sections.fullSync(world, recording: true)
            let fullFloor = try await Sections.httpFloor(world, targets: full.targets)
            let ceilings = try await Sections.ceilings(world)
            Report.fullSync(full, ceilings)
            let ratio = full.run.seconds / ceilings.ceiling
            report.target("full sync wall ≤ 1.3 × max(fetch, load)", Format.ratio(ratio), "≤ 1.30×", ratio <= 1.3)

            let incremental = try await Sections.incremental(world)
            let incrementalFloor = try await Sections.httpFloor(world, targets: incremental.targets)
            emit("")
            let checks = Report.incremental(incremental)
            emit("")
            let fullCPU = Report.CPUComparison(
                name: "full sync", run: full.run, requests: full.targets.count, rows: full.records + full.childRows, floor: fullFloor
            )
            Report.cpu([
                fullCPU,
                .init(
                    name: "incremental", run: incremental.run, requests: incremental.targets.count, rows: incremental.changed.values.reduce(0, +),
                    floor: incrementalFloor
                ),
            ])
            report.target("full sync CPU per request ≤ 2 × the HTTP floor's", Format.ratio(fullCPU.ratio), "≤ 2.00×", fullCPU.ratio <= 2)
            for (name, requests, limit) in checks {
                report.target("incremental requests, \(name)", Format.int(requests), "≤ \(Format.int(limit))", requests <= limit)
            }

            let backfills = try await Self.backfills(world, days: options.days)
            Report.backfill(backfills, days: options.days)
            if let one = backfills.first(where: { $0.concurrency == 1 }), let eight = backfills.first(where: { $0.concurrency == 8 && $0.run.status == 0 }) {
                let speedup = one.run.seconds / eight.run.seconds
                report.target("backfill speed-up, concurrency 8 over 1", Format.ratio(speedup), "≥ 6.00×", speedup >= 6)
            }
            if let limited = backfills.last, limited.rateLimited > 0 || limited.run.status != 0 {
                report.target("backfill with 429s completes (slower, not failed)", "\(Format.int(limited.rateLimited)) 429s, \(Format.seconds(limited.run.seconds))", "exit 0", limited.run.status == 0)
            }
            return (full, incremental)
        }
        _ = incremental

        // 5. scale: ¼ and ½ on fresh accounts; 1× is section 1.
        var scale: [(Double, FullSyncResult)] = []
        for factor in [0.25, 0.5] {
            scale.append((factor, try await BenchWorld.with(dataset.scaled(factor), adminURL: url) { try await Sections.fullSync($0) }))
        }
        scale.append((1, full))
        Report.scale(scale)
        for (factor, result) in scale {
            report.target("peak RSS at \(Format.fixed(factor, 2))×", Format.megabytes(result.run.peakRSSBytes), "≤ 150 MB", result.run.peakRSSBytes <= 150 * 1_048_576)
        }
        if let quarter = scale.first, quarter.1.run.seconds > 0 {
            let growth = full.run.seconds / quarter.1.run.seconds
            report.target("wall time grows linearly (1× ÷ ¼)", Format.ratio(growth), "≈ 4× (≤ 5×)", growth <= 5)
        }
        report.targets.print()
    }

    static func backfills(_ world: BenchWorld, days: Int) async throws -> [BackfillResult] {
        var results: [BackfillResult] = []
        for concurrency in [1, 4, 8, 16] {
            results.append(try await Sections.backfill(world, days: days, concurrency: concurrency))
        }
        results.append(try await Sections.backfill(
            world, days: days, concurrency: 16, maxConcurrent: 4,
            note: "429 when > 4 in flight (Retry-After: 1)"
        ))
        return results
    }
}
