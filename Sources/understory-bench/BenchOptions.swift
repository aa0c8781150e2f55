import ArgumentParser
import Foundation

/// What every scenario subcommand shares.
struct BenchOptions: ParsableArguments {
    @Flag(help: "Small sizes (a smoke test: completes in well under a minute and prints every table).")
    var quick = false

    @Option(name: .customLong("database-url"), help: "PostgreSQL URI of a server where databases may be created (default: DATABASE_URL).")
    var databaseURL: String?

    @Option(help: "Scale of the account: 1 = 200 000 bookings, 200 000 orders, 20 000 events (quick: 1 500 / 300 / 200).")
    var scale: Double = 1

    @Option(help: "Days of bookings the backfill section reloads (default 90; quick 8).")
    var backfillDays: Int?

    var dataset: Dataset { (quick ? Dataset.quick : Dataset.full).scaled(scale) }
    var days: Int { backfillDays ?? (quick ? 8 : 90) }

    func adminURL() throws -> String {
        guard let url = databaseURL ?? ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty else {
            throw ValidationError("set DATABASE_URL or --database-url")
        }
        return url
    }

    func validate() throws {
        guard scale > 0 else { throw ValidationError("--scale must be positive") }
        if let days = backfillDays, days < 1 { throw ValidationError("--backfill-days must be at least 1") }
    }
}
