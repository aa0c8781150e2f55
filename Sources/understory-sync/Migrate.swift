import ArgumentParser
import SyncEngine

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create or upgrade the understory schema (idempotent; prints what it applied)."
    )

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let logger = global.makeLogger()
        let outcome = try await Schema.migrate(database: global.database, logger: logger)
        if outcome.applied.isEmpty {
            if !global.quiet { print("schema is up to date (version \(outcome.currentVersion)); nothing to apply") }
        } else {
            for migration in outcome.applied { print("applied \(migration.fileName)") }
            if !global.quiet { print("schema is at version \(outcome.currentVersion)") }
        }
    }
}
