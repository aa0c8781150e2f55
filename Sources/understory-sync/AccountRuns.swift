import Foundation
import Logging
import PostgresClient
import SyncEngine
import UnderstoryAPI

/// Third-party mode of `sync` and `schedule`: every selected account, with the app's credentials.
enum AccountRuns {
    static func sync(
        _ selection: AccountSync.Selection, concurrency: Int, global: GlobalOptions, options: SyncOptions,
        arguments: [String: String], logger: Logger
    ) async throws -> [AccountSync.Outcome] {
        try await withAccountSync(global: global, logger: logger) { accounts in
            try await GracefulRun.run(logger: logger) {
                try await accounts.sync(selection, concurrency: concurrency, options: options, arguments: arguments)
            }
        }
    }

    /// `schedule`'s sync or reconcile of the selected accounts.
    static func run(
        _ command: PollingSchedule.Command, _ selection: AccountSync.Selection, concurrency: Int, global: GlobalOptions,
        options: SyncOptions, arguments: [String: String], logger: Logger
    ) async throws -> [AccountSync.Outcome] {
        switch command {
        case .sync:
            return try await sync(selection, concurrency: concurrency, global: global, options: options, arguments: arguments, logger: logger)
        case .reconcile:
            return try await withAccountSync(global: global, logger: logger) { accounts in
                try await GracefulRun.run(logger: logger) {
                    try await accounts.reconcile(selection, concurrency: concurrency, options: options, arguments: arguments)
                }
            }
        }
    }

    /// Runs `body` with the connected accounts: the app's credentials (`UNDERSTORY_CLIENT_*`), the
    /// token key and one HTTP client shared by every account's API client.
    static func withAccountSync<T: Sendable>(
        global: GlobalOptions, logger: Logger, _ body: (AccountSync) async throws -> T
    ) async throws -> T {
        let api = try global.apiConfiguration()
        let key = try TokenKey(environment: global.environment)
        let database = global.database
        return try await withHTTPClient(api) { http in
            try await body(AccountSync(database: database, key: key, logger: logger, progress: ProgressLine.shared) { grant in
                UnderstoryClient(configuration: api, httpClient: http, logger: logger, grant: grant)
            })
        }
    }

    /// Each account's run table, then one line per account ("accounts: 2 of 3 synced").
    static func render(
        _ outcomes: [AccountSync.Outcome], done verb: String = "synced",
        summary: (SyncRunner.Summary) -> String = RunSummaryTable.render
    ) -> String {
        var blocks = outcomes.compactMap { $0.summary.map(summary) }
        let failed = outcomes.filter { !$0.succeeded }
        var lines = ["accounts: \(outcomes.count - failed.count) of \(outcomes.count) \(verb)"]
        for outcome in outcomes {
            let name = outcome.account.companyName.map { " (\($0))" } ?? ""
            if let error = outcome.failure {
                lines.append("  FAIL \(outcome.account.companyID)\(name): \(ExitStatus.oneLine(error))")
            } else {
                lines.append("  ok   \(outcome.account.companyID)\(name)")
            }
        }
        blocks.append(lines.joined(separator: "\n"))
        return blocks.joined(separator: "\n\n")
    }
}
