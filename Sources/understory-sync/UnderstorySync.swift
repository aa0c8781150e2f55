import ArgumentParser
import SyncEngine

/// The root command: it only configures; each subcommand lives in its own file.
@main
struct UnderstorySync: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "understory-sync",
        abstract: "Keep a PostgreSQL database in step with an Understory account (or many, for a third-party app).",
        // Prose paragraphs end their source lines with `\` (ArgumentParser wraps them to the
        // terminal); the exit-status table keeps its own line breaks, each line under 80 columns.
        discussion: """
            Configuration comes from environment variables (see README); every one also \
            has a flag, and flags win.

            Exit status:
              0   success
              64  bad usage (unknown flag, bad value, unknown account)
              65  N items rejected: see understory.rejected_items (everything else
                  was stored; every later run fetches them again), or a response
                  that is not the API's format
              69  API or database unreachable after retries
              75  temporary: another run holds the lock, a table stayed locked past
                  --lock-timeout (table and holder named; the other resources were
                  synced), or the retry budget ran out — try again later
              77  authentication failed, a scope is missing, or an account must be
                  connected again
              78  configuration: a variable is missing or invalid, or the schema is
                  not migrated (run `migrate`)
              1   anything else

            When accounts or resources fail differently, the most fundamental status \
            wins: 1 > 64 > 78 > 77 > 69 > 65 > 75 > 0; the closing lines name every \
            class with the accounts it hit.
            """,
        version: "0.1.0",
        subcommands: [Migrate.self, Sync.self, Backfill.self, Reconcile.self, Status.self, Schedule.self, Check.self, Accounts.self, Worker.self, Webhooks.self, Serve.self]
    )

    /// Parses, runs, and turns whatever a command throws into its exit status in one place
    /// (`ExitStatus.exit(for:)`): commands throw their errors as they are.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var command = command as? AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            Self.exit(withError: ExitStatus.exit(for: error))
        }
    }
}
