import Foundation
import Logging
import PostgresClient
import UnderstoryAPI

/// `sync --account ID` / `sync --all-accounts`: one ``SyncRunner`` run per connected account, at
/// most `concurrency` at once, each with its own refresh-token client, locks, state and run row.
/// One account's failure never stops the others; every account's outcome is returned.
public struct AccountSync: Sendable {
    /// Which accounts a command acts on.
    public enum Selection: Sendable, Hashable {
        /// These company ids (each must be connected).
        case accounts([String])
        /// Every account that is not disconnected (those needing reconnection are reported as failed).
        case all
    }

    /// What one account's run ended with.
    public struct Outcome: Sendable {
        public var account: Account
        public var summary: SyncRunner.Summary?
        public var error: (any Error)?
        public var succeeded: Bool { error == nil && summary?.firstError == nil }
        /// A failure of the account's run, if any (for its one-line report).
        public var failure: (any Error)? { error ?? summary?.firstError }
        /// Every failure of the account's run, each named by the account's company id.
        public var failures: [RunFailure] {
            if let error { return [RunFailure(subject: account.companyID, error: error)] }
            return (summary?.runFailures ?? []).map { RunFailure(subject: account.companyID, error: $0.error) }
        }
    }

    public let database: PostgresConfiguration
    public let key: TokenKey
    public let logger: Logger
    public var progress: (any ProgressReporter)?
    /// Makes an API client (the app's credentials) with the given grant.
    public let makeClient: @Sendable (OAuthGrant) -> UnderstoryClient

    public init(
        database: PostgresConfiguration, key: TokenKey, logger: Logger, progress: (any ProgressReporter)? = nil,
        makeClient: @escaping @Sendable (OAuthGrant) -> UnderstoryClient
    ) {
        self.database = database
        self.key = key
        self.logger = logger
        self.progress = progress
        self.makeClient = makeClient
    }

    /// The accounts `selection` names; unknown ids are an error before anything runs.
    public func accounts(_ selection: Selection) async throws -> [Account] {
        try await PostgresConnection.withConnection(database, logger: logger) { connection in
            try await Schema.requireCurrent(on: connection)
            let store = AccountStore(connection: connection)
            switch selection {
            case .all:
                let accounts = try await store.list().filter { $0.status != .disconnected }
                guard !accounts.isEmpty else {
                    throw SyncError(.unknownAccount, "no account is connected: run `understory-sync accounts connect` first")
                }
                return accounts
            case .accounts(let ids):
                var accounts = [Account]()
                for id in ids where !accounts.contains(where: { $0.companyID == id }) {
                    accounts.append(try await store.require(id))
                }
                return accounts
            }
        }
    }

    /// The client for one account: the app's credentials, the account's stored refresh token.
    public func client(for companyID: String) -> UnderstoryClient {
        var logger = self.logger
        logger[metadataKey: "company_id"] = "\(companyID)"
        return makeClient(.refreshToken(StoredRefreshToken(companyID: companyID, database: database, key: key, logger: logger)))
    }

    /// The client for a connected account that must be active (else `.unknownAccount` / `.accountNotActive`).
    public func activeClient(for companyID: String) async throws -> UnderstoryClient {
        let account = try await accounts(.accounts([companyID]))[0]
        guard account.status == .active else {
            throw StoredRefreshToken.notActive(companyID: companyID, status: account.status)
        }
        return client(for: companyID)
    }

    /// Syncs each selected account (at most `concurrency` at once).
    public func sync(
        _ selection: Selection, concurrency: Int, options: SyncOptions, arguments: [String: String] = [:]
    ) async throws -> [Outcome] {
        try await each(selection, concurrency: concurrency) { runner, account in
            try await runner.sync(options, arguments: arguments.merging(["account": account.companyID]) { $1 })
        }
    }

    /// Reconciles each selected account (at most `concurrency` at once).
    public func reconcile(
        _ selection: Selection, concurrency: Int, options: SyncOptions, arguments: [String: String] = [:]
    ) async throws -> [Outcome] {
        try await each(selection, concurrency: concurrency) { runner, account in
            try await runner.reconcile(options, arguments: arguments.merging(["account": account.companyID]) { $1 })
        }
    }

    /// Runs `work` with a runner for each selected, active account.
    private func each(
        _ selection: Selection, concurrency: Int, _ work: @escaping @Sendable (SyncRunner, Account) async throws -> SyncRunner.Summary
    ) async throws -> [Outcome] {
        let accounts = try await self.accounts(selection)
        return try await boundedConcurrentMap(accounts, limit: concurrency) { account in
            guard account.status == .active else {
                return Outcome(
                    account: account, summary: nil,
                    error: StoredRefreshToken.notActive(companyID: account.companyID, status: account.status)
                )
            }
            var logger = self.logger
            logger[metadataKey: "company_id"] = "\(account.companyID)"
            var runner = SyncRunner(database: database, client: client(for: account.companyID), logger: logger, progress: progress)
            runner.expectedCompanyID = account.companyID
            do {
                let summary = try await work(runner, account)
                return Outcome(account: account, summary: summary, error: nil)
            } catch {
                logger.error("account sync failed", metadata: ["error": "\(error)"])
                return Outcome(account: account, summary: nil, error: error)
            }
        }
        .sorted { $0.account.companyID < $1.account.companyID }
    }
}
