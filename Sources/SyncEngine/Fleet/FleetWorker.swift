import Foundation
import Logging
import PostgresClient
import ServiceLifecycle
import Synchronization
import TimeSource
import UnderstoryAPI

/// One member of a fleet: claims due accounts through PostgreSQL (``AccountClaims``), syncs each
/// with the per-account code of ``AccountSync`` (its own refresh-token client, rate-limit gate,
/// resource locks and run row), then schedules the account's next sync and releases it.
///
/// Any number of workers, in any number of processes and machines, split the accounts with no
/// coordinator: a claim is one `FOR UPDATE SKIP LOCKED` statement, a lease is renewed while the
/// account syncs (heartbeat every `lease / 3`), and a worker that dies loses its leases when they
/// expire. Leases and due times follow the database's clock, never the worker's. The
/// per-resource advisory locks of ``SyncRunner`` stay as the last guard.
public struct FleetWorker: Sendable {
    /// How far the worker's clock may be from the database's before a pass warns about it.
    public static let toleratedSkew: Duration = .seconds(30)

    public let accounts: AccountSync
    public let owner: LeaseOwner
    public var policy: FleetPolicy
    /// Accounts synced at once by this worker.
    public var concurrency: Int
    /// The worker's own time: its wall clock and the sleeps between passes and heartbeats. Leases
    /// and due times are never compared with it: they are set and compared on the database's
    /// clock (``AccountClaims``), so workers whose clocks disagree still agree on them. A pass only
    /// checks `wallNow` against the database's and warns when they differ by more than
    /// ``toleratedSkew`` (the sync itself reads its client's clock, e.g. for the events window).
    public var clock: any TimeSource

    public init(accounts: AccountSync, owner: LeaseOwner = .current(), policy: FleetPolicy, concurrency: Int, clock: any TimeSource = .system) {
        self.accounts = accounts
        self.owner = owner
        self.policy = policy
        self.concurrency = max(1, concurrency)
        self.clock = clock
    }

    /// What one pass did.
    public struct Pass: Sendable {
        /// Every account this worker synced in the pass, in the order they finished.
        public var outcomes: [AccountSync.Outcome]
        /// Accounts whose lease this worker lost while syncing them (it expired and another worker
        /// took it); their outcome was not recorded.
        public var lostLeases: [String]
        /// Accounts never claimed because they must be connected again (consent revoked).
        public var needsReconnect: [Account]

        /// Every failure of the pass: each synced account's, and each account skipped because it
        /// must be connected again.
        public var failures: [RunFailure] {
            outcomes.flatMap(\.failures) + needsReconnect.map { account in
                RunFailure(
                    subject: account.companyID,
                    error: StoredRefreshToken.notActive(companyID: account.companyID, status: account.status)
                )
            }
        }
    }

    private var logger: Logger {
        var logger = accounts.logger
        logger[metadataKey: "worker"] = "\(owner)"
        return logger
    }

    /// Claims and syncs due accounts until none is left (or a graceful shutdown begins), then returns.
    /// `sync --all-accounts --claim` is one pass; several processes running one at once split the accounts.
    public func pass(options: SyncOptions, arguments: [String: String] = [:]) async throws -> Pass {
        let logger = self.logger
        return try await PostgresConnection.withConnection(accounts.database, logger: logger) { connection in
            try await Schema.requireCurrent(on: connection)
            let claims = AccountClaims(connection: connection)
            let skew = try await claims.skew(from: clock.wallNow)
            if abs(FleetPolicy.seconds(skew)) > FleetPolicy.seconds(Self.toleratedSkew) {
                logger.warning(
                    "this host's clock differs from the database's; leases and due times follow the database",
                    metadata: ["skew_seconds": "\(Int(FleetPolicy.seconds(skew)))"]
                )
            }
            let hand = LeasesInHand()
            let policy = self.policy, clock = self.clock, owner = self.owner

            let outcomes = try await withThrowingTaskGroup(of: [AccountSync.Outcome]?.self, returning: [AccountSync.Outcome].self) { group in
                group.addTask {
                    // The heartbeat: renew the leases in hand until the slots are done.
                    while !Task.isCancelled {
                        do { try await clock.sleep(for: policy.lease / 3) } catch { break }
                        let ids = hand.held.withLock { Array($0) }
                        do {
                            let kept = try await claims.renew(owner: owner, companyIDs: ids, lease: policy.lease)
                            for id in ids where !kept.contains(id) && hand.held.withLock({ $0.contains(id) }) {
                                logger.warning("lease lost while syncing; another worker may take the account", metadata: ["company_id": "\(id)"])
                            }
                        } catch {
                            logger.warning("could not renew leases", metadata: ["error": "\(error)"])
                        }
                    }
                    return nil
                }
                for _ in 0..<concurrency {
                    group.addTask {
                        try await slot(claims: claims, hand: hand, options: options, arguments: arguments, logger: logger)
                    }
                }
                var all = [AccountSync.Outcome]()
                var slots = concurrency
                while slots > 0, let result = try await group.next() {
                    if let result {
                        all += result
                        slots -= 1
                    }
                }
                group.cancelAll()
                return all
            }
            let waiting = try await AccountStore(connection: connection).list().filter { $0.status == .needsReconnect }
            return Pass(outcomes: outcomes, lostLeases: hand.lost.withLock { $0 }, needsReconnect: waiting)
        }
    }

    /// One of `concurrency` loops: claim one account, sync it, release it; until nothing is due.
    private func slot(
        claims: AccountClaims, hand: LeasesInHand, options: SyncOptions, arguments: [String: String],
        logger: Logger
    ) async throws -> [AccountSync.Outcome] {
        var outcomes = [AccountSync.Outcome]()
        let arguments = arguments.merging(["worker": owner.name]) { $1 }
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            guard let claim = try await claims.claim(owner: owner, limit: 1, lease: policy.lease).first else { break }
            let id = claim.companyID
            hand.held.withLock { _ = $0.insert(id) }
            defer { hand.held.withLock { _ = $0.remove(id) } }
            let release: AccountClaims.Release
            do {
                let outcome = try await accounts.sync(.accounts([id]), concurrency: 1, options: options, arguments: arguments)[0]
                outcomes.append(outcome)
                release = self.release(for: outcome.failure, claim: claim)
            } catch {
                // The account vanished or the database failed before its run: back off like a failure.
                logger.error("account sync could not start", metadata: ["company_id": "\(id)", "error": "\(error)"])
                release = self.release(for: error, claim: claim)
            }
            if try await !claims.release(owner: owner, companyID: id, release) {
                logger.warning("lease had expired and was taken by another worker; outcome not recorded", metadata: ["company_id": "\(id)"])
                hand.lost.withLock { $0.append(id) }
            }
        }
        return outcomes
    }

    /// How to release an account whose sync ended with `failure` (nil = success).
    func release(for failure: (any Error)?, claim: AccountClaims.Claim) -> AccountClaims.Release {
        guard let failure else { return .succeeded(after: policy.nextSyncDelay(), interval: policy.every) }
        if (failure as? SyncError)?.code == .interrupted { return .interrupted }
        // Items set aside in rejected_items: everything else was stored and later runs fetch them
        // again, so the account keeps its schedule instead of backing off.
        if (failure as? SyncError)?.code == .itemsRejected { return .succeeded(after: policy.nextSyncDelay(), interval: policy.every) }
        let line = String(describing: failure).split(separator: "\n").first.map(String.init) ?? "failed"
        return .failed(after: policy.retryDelay(failures: claim.consecutiveFailures + 1), reason: String(line.prefix(500)))
    }

    /// `worker`: passes until a graceful shutdown (SIGTERM/SIGINT through swift-service-lifecycle):
    /// after each pass it waits until the next account falls due (at most `policy.maxIdle`). On
    /// shutdown the accounts in hand commit their batch and are released still due. The first
    /// pass's error is thrown (configuration, schema) unless it is a lost PostgreSQL connection (a
    /// terminated backend, a restarting server); later ones are logged and retried.
    public func run(options: SyncOptions, arguments: [String: String] = [:], onPass: @Sendable (Pass) async -> Void = { _ in }) async throws {
        let logger = self.logger, clock = self.clock
        var first = true
        logger.info("worker started", metadata: ["concurrency": "\(concurrency)", "every": "\(policy.every)", "lease": "\(policy.lease)"])
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                await onPass(try await pass(options: options, arguments: arguments))
            } catch {
                let lost = (error as? PostgresError).map { [.connectionLost, .connectionClosed, .connectionFailed].contains($0.code) } ?? false
                if first && !lost { throw error }
                logger.error("worker pass failed; trying again", metadata: ["error": "\(error)"])
            }
            first = false
            if Task.isCancelled || Task.isShuttingDownGracefully { break }
            var wait = policy.maxIdle
            if let due = try? await PostgresConnection.withConnection(accounts.database, logger: logger, { connection in
                try await AccountClaims(connection: connection).nextDue()
            }) {
                wait = max(.milliseconds(200), min(policy.maxIdle, due))
            }
            let pause = wait
            do {
                try await cancelWhenGracefulShutdown { try await clock.sleep(for: pause) }
            } catch {
                break
            }
        }
        _ = try? await PostgresConnection.withConnection(accounts.database, logger: logger) { connection in
            try await AccountClaims(connection: connection).releaseAll(owner: owner)
        }
        logger.info("worker stopped")
    }
}

/// The accounts a pass holds right now (renewed by the heartbeat) and those whose lease it lost.
final class LeasesInHand: Sendable {
    let held = Mutex(Set<String>())
    let lost = Mutex([String]())
}
