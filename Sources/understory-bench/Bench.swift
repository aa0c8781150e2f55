import ArgumentParser

@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "understory-bench",
        abstract: "Benchmarks of understory-sync, each against a ceiling measured in the same run.",
        subcommands: [BenchAll.self, CopyBench.self, FullCommand.self, IncrementalCommand.self, BackfillCommand.self, ScaleCommand.self, FetchCeilingCommand.self, WebhooksCommand.self, FleetCommand.self, RateLimitCommand.self, HTTPFloorCommand.self]
    )
}
