import Logging
import PostgresClient
import UnderstoryAPI

/// One `sync` or `reconcile` of a ``SyncScope``: the internal key's company through one
/// ``SyncRunner``, or the selected accounts through ``AccountSync``. Each run opens (and closes)
/// its own HTTP client; the command line only chooses the scope and prints the ``Outcome``.
public struct SyncJob: Sendable {
    public enum Command: String, Sendable { case sync, reconcile }

    /// What a run ended with, per mode.
    public enum Outcome: Sendable {
        /// Internal-key mode: the company's run.
        case company(SyncRunner.Summary)
        /// Third-party mode: every selected account's outcome.
        case accounts([AccountSync.Outcome])

        /// Every failure of the run: the company's resources, or the accounts (by company id).
        public var failures: [RunFailure] {
            switch self {
            case .company(let summary): summary.runFailures
            case .accounts(let outcomes): outcomes.flatMap(\.failures)
            }
        }
    }

    public let database: PostgresConfiguration
    public let api: UnderstoryConfiguration
    /// The key that opens the accounts' refresh tokens: read only in third-party mode, where its
    /// absence (or a malformed key) is the run's error.
    public let key: Result<TokenKey, any Error>
    public let logger: Logger
    public let progress: (any ProgressReporter)?

    public init(
        database: PostgresConfiguration, api: UnderstoryConfiguration, key: Result<TokenKey, any Error>, logger: Logger,
        progress: (any ProgressReporter)? = nil
    ) {
        self.database = database
        self.api = api
        self.key = key
        self.logger = logger
        self.progress = progress
    }

    /// Runs `command` over `scope`. With `graceful`, SIGTERM and SIGINT stop fetching and commit
    /// what is in hand (``GracefulRun``); a scheduler, which handles signals itself, passes false.
    public func run(
        _ command: Command, _ scope: SyncScope, options: SyncOptions, arguments: [String: String], graceful: Bool = true
    ) async throws -> Outcome {
        let logger = self.logger
        switch scope {
        case .internalKey:
            let database = self.database, progress = self.progress
            return .company(try await UnderstoryClient.withClient(api, logger: logger) { client in
                let runner = SyncRunner(database: database, client: client, logger: logger, progress: progress)
                return try await Self.run(graceful: graceful, logger: logger) {
                    switch command {
                    case .sync: try await runner.sync(options, arguments: arguments)
                    case .reconcile: try await runner.reconcile(options, arguments: arguments)
                    }
                }
            })
        case .accounts(let selection, let concurrency):
            return .accounts(try await withAccounts { accounts in
                try await Self.run(graceful: graceful, logger: logger) {
                    switch command {
                    case .sync: try await accounts.sync(selection, concurrency: concurrency, options: options, arguments: arguments)
                    case .reconcile: try await accounts.reconcile(selection, concurrency: concurrency, options: options, arguments: arguments)
                    }
                }
            })
        }
    }

    /// `sync --all-accounts --claim`: one fleet pass over the due accounts, each claimed with a lease.
    public func claimPass(
        concurrency: Int, policy: FleetPolicy, options: SyncOptions, arguments: [String: String]
    ) async throws -> FleetWorker.Pass {
        let logger = self.logger
        return try await withAccounts { accounts in
            let worker = FleetWorker(accounts: accounts, policy: policy, concurrency: concurrency)
            return try await GracefulRun.run(logger: logger) {
                try await worker.pass(options: options, arguments: arguments)
            }
        }
    }

    /// Runs `body` with the connected accounts (third-party mode), sharing one HTTP client.
    public func withAccounts<T: Sendable>(_ body: (AccountSync) async throws -> T) async throws -> T {
        try await AccountSync.with(database: database, api: api, key: try key.get(), logger: logger, progress: progress, body)
    }

    /// Runs `body` once per company of `scope` with its client: the integration key's own company
    /// (named by `/v1/me`), or each selected account, which must be active.
    public func forEachCompany(_ scope: SyncScope, _ body: @escaping @Sendable (String, UnderstoryClient) async throws -> Void) async throws {
        let logger = self.logger
        switch scope {
        case .internalKey:
            try await UnderstoryClient.withClient(api, logger: logger) { client in
                guard let companyID = try await client.me(logger: logger).model.companyID else {
                    throw SyncError(.invalidArguments, "/v1/me named no company_id")
                }
                try await body(companyID, client)
            }
        case .accounts(let selection, _):
            try await withAccounts { accounts in
                for account in try await accounts.accounts(selection) {
                    try await body(account.companyID, try await accounts.activeClient(for: account.companyID))
                }
            }
        }
    }

    private static func run<T: Sendable>(
        graceful: Bool, logger: Logger, _ work: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        graceful ? try await GracefulRun.run(logger: logger, work) : try await work()
    }
}
