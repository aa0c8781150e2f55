import ArgumentParser
import SyncEngine
import Testing

@testable import understory_sync

/// Usage errors parsed in-process, the way swift-argument-parser's own tests do
/// (`AssertParseCommand`): no binary is spawned, no database or API is needed. Only true
/// end-to-end behaviour (exit statuses of runs, signals, output) spawns the binary (EndToEndTests).
@Suite("usage errors (parsed in-process)")
struct UsageErrorTests {
    /// Parses `arguments` as the binary would and returns the exit code and message it would print.
    static func usage(_ arguments: [String]) -> (code: Int32, message: String)? {
        do {
            _ = try UnderstorySync.parseAsRoot(arguments)
            return nil
        } catch {
            return (UnderstorySync.exitCode(for: error).rawValue, UnderstorySync.message(for: error))
        }
    }

    @Test(
        "each malformed command line is a usage error (64) whose message says what to fix",
        arguments: [
            (["sync", "--resource", "invoices"], "invoices"),
            (["sync", "--claim"], "--claim needs --all-accounts"),
            (["sync", "--account", "a", "--all-accounts"], "give --account or --all-accounts, not both"),
            (["sync", "--batch-rows", "0"], "--batch-rows must be at least 1"),
            (["sync", "--child-concurrency", "0"], "--child-concurrency must be at least 1"),
            (["worker", "--every", "soon"], #"--every "soon" is not a duration"#),
            (["worker", "--lease", "2"], "--lease must be at least 3 seconds"),
            (["worker", "--concurrency", "0"], "--concurrency must be at least 1"),
            (["schedule", "--cron", "0 25 * * *"], #"invalid cron expression "0 25 * * *": 25 is out of range 0-23 (field hour, position 3)"#),
            (["schedule", "--cron", "@daily", "--reconcile-cron", "0 3 * * 8"], "--reconcile-cron"),
            (["frobnicate"], "frobnicate"),
            (["serve", "--host", "0.0.0.0"], "set UNDERSTORY_STATUS_TOKEN (requests then need `Authorization: Bearer <token>`) or pass --public-status"),
            (["worker", "--metrics-port", "0", "--metrics-host", "0.0.0.0"], "set UNDERSTORY_STATUS_TOKEN"),
            (["schedule", "--cron", "@daily", "--metrics-port", "0", "--metrics-host", "10.1.2.3"], "or pass --public-status"),
            (["serve", "--run-now", "--port", "0"], "--run-now and --reconcile-cron need --cron"),
            (["serve", "--reconcile-cron", "@daily"], "--run-now and --reconcile-cron need --cron"),
        ]
    )
    func usageError(arguments: [String], mentions: String) throws {
        let result = try #require(Self.usage(arguments), "\(arguments) parsed")
        #expect(result.code == 64, "\(arguments): \(result.message)")
        #expect(result.message.contains(mentions), "\(arguments): \(result.message)")
    }

    @Test("well-formed command lines parse into their command")
    func wellFormed() throws {
        #expect(try UnderstorySync.parseAsRoot(["sync", "--resource", "orders", "--all-accounts", "--claim"]) is Sync)
        #expect(try UnderstorySync.parseAsRoot(["schedule", "--cron", "*/15 * * * *", "--reconcile-cron", "0 3 * * *"]) is Schedule)
        #expect(try UnderstorySync.parseAsRoot(["worker", "--every", "1h30m", "--lease", "120"]) is Worker)
        // /metrics beyond loopback: made public explicitly, or on loopback (the default).
        #expect(try UnderstorySync.parseAsRoot(["worker", "--metrics-port", "0", "--metrics-host", "0.0.0.0", "--public-status"]) is Worker)
        #expect(try UnderstorySync.parseAsRoot(["serve", "--host", "0.0.0.0", "--public-status"]) is Serve)
        #expect(try UnderstorySync.parseAsRoot(["serve", "--host", "127.0.0.1"]) is Serve)
    }

    @Test("an engine error maps to its documented exit status at the root; argument-parser's own errors pass through")
    func rootMapping() {
        #expect((ExitStatus.exit(for: ExitCode(75)) as? ExitCode)?.rawValue == 75)
        #expect(UnderstorySync.exitCode(for: ExitStatus.exit(for: ValidationError("bad"))) == .validationFailure)
        #expect((ExitStatus.exit(for: SyncError(.lockHeld, "another run holds the lock")) as? ExitCode)?.rawValue == 75)
    }
}
