import Foundation
import Logging
import PostgresClient
import ServiceLifecycle
import UnderstoryAPI

/// Runs `sync` and `backfill`: joins the API client and PostgreSQL.
///
/// Each resource gets its own connection and its own advisory lock (taken up front, so a second
/// run on the same resource fails at once, naming it), and resources sync concurrently. One row
/// in `sync_runs` records the run.
public struct SyncRunner: Sendable {
    public let database: PostgresConfiguration
    public let client: UnderstoryClient
    public let logger: Logger
    public var progress: (any ProgressReporter)?
    /// When set (a connected account), `/v1/me` must name this company or the run stops before
    /// writing anything: a token must never fill another account's rows.
    public var expectedCompanyID: String?

    public init(database: PostgresConfiguration, client: UnderstoryClient, logger: Logger, progress: (any ProgressReporter)? = nil) {
        self.database = database
        self.client = client
        self.logger = logger
        self.progress = progress
    }

    /// The outcome of a run.
    public struct Summary: Sendable {
        public var runID: Int64?
        public var companyID: String
        public var counts: [Resource: ResourceCounts]
        /// Resources left out with a notice, not failed (marketing consents without `marketing.read`).
        public var skipped: [Resource: String] = [:]
        public var abandonedRuns: [Int64]
        public var http: RequestStatistics
        public var duration: Duration
        public var dryRun: Bool
        /// The first failure (by resource name; a real failure before an interruption);
        /// `.itemsRejected` when nothing failed but items went to `understory.rejected_items`.
        public var firstError: (any Error)?
        /// Each failed resource's error.
        public var errors: [Resource: any Error] = [:]
        /// Each failed resource's error, described.
        public var failures: [Resource: String] { errors.mapValues { String(describing: $0) } }
        public var succeeded: Bool { errors.isEmpty }
        /// Items this run could not store (in `understory.rejected_items`).
        public var rejectedItems: Int { counts.values.reduce(0) { $0 + $1.rejected } }

        /// Every failure of the run, by resource: each failed resource, and each resource that set
        /// items aside in `understory.rejected_items`. The command line ranks them into an exit status.
        public var runFailures: [RunFailure] {
            var list = errors.sorted { $0.key.rawValue < $1.key.rawValue }.map { RunFailure(subject: $0.key.rawValue, error: $0.value) }
            for (resource, counts) in self.counts.sorted(by: { $0.key.rawValue < $1.key.rawValue }) where counts.rejected > 0 {
                list.append(RunFailure(subject: resource.rawValue, error: SyncError.itemsRejected(counts.rejected)))
            }
            return list
        }
    }

    /// Incremental (or `--full`) sync of the chosen resources.
    public func sync(_ options: SyncOptions, arguments: [String: String] = [:]) async throws -> Summary {
        let resources = options.resources.isEmpty ? Resource.allCases : Array(Set(options.resources)).sorted { $0.rawValue < $1.rawValue }
        return try await withRun(command: "sync", arguments: arguments, resources: resources, options: options) { resource, context in
            try await resource.plans.sync(context)
        }
    }

    /// Opens the run: schema check, account, abandoned runs, run row, locks; then runs `work` for
    /// each resource concurrently and closes the run row with the counts.
    func withRun(
        command: String, arguments: [String: String], resources: [Resource], options: SyncOptions,
        _ work: @escaping @Sendable (Resource, PlanContext) async throws -> ResourceCounts
    ) async throws -> Summary {
        let clock = ContinuousClock()
        let started = clock.now
        let httpBefore = client.statistics
        return try await PostgresConnection.withConnection(database, logger: logger) { control in
            try await Schema.requireCurrent(on: control)
            let me = try await Self.interruptible { [client, logger] in try await client.me(logger: logger) }
            guard let companyID = me.model.companyID, !companyID.isEmpty else {
                throw UnderstoryAPIError(code: .invalidResponse, path: "/v1/me", resource: "me", field: "company_id", detail: "/v1/me did not name a company_id")
            }
            if let expectedCompanyID, expectedCompanyID != companyID {
                throw SyncError(
                    .accountMismatch,
                    "the token of account \(expectedCompanyID) belongs to company \(companyID) according to /v1/me; nothing was synced — disconnect and connect the account again"
                )
            }
            var logger = self.logger
            logger[metadataKey: "company_id"] = "\(companyID)"
            let runLog = RunLog(connection: control)
            let abandoned = try await runLog.markAbandonedRuns()
            if !abandoned.isEmpty {
                logger.warning("earlier runs ended without finishing; marked abandoned", metadata: ["runs": "\(abandoned)"])
            }

            // Take every resource's lock before doing any work.
            let connections = try await lockResources(resources, companyID: companyID)
            do {
                var summary = try await runLocked(
                    command: command, arguments: arguments, connections: connections, companyID: companyID,
                    options: options, control: control, abandoned: abandoned, httpBefore: httpBefore, logger: logger, work
                )
                await release(connections, companyID: companyID)
                summary.duration = clock.now - started
                return summary
            } catch {
                await release(connections, companyID: companyID)
                throw error
            }
        }
    }

    /// Unlocks explicitly before closing, so a run that starts right after this one never sees a
    /// lock that the server has not yet dropped with the old session.
    private func release(_ connections: [(Resource, PostgresConnection)], companyID: String) async {
        for (resource, connection) in connections {
            _ = try? await connection.advisoryUnlock(resource.lockName(companyID: companyID))
            await connection.close()
        }
    }

    /// Runs `work` for each locked resource concurrently, then records failures and closes the run
    /// row. `duration` is left for the caller, which also counts the time to lock.
    private func runLocked(
        command: String, arguments: [String: String], connections: [(Resource, PostgresConnection)], companyID: String,
        options: SyncOptions, control: PostgresConnection, abandoned: [Int64], httpBefore: RequestStatistics, logger: Logger,
        _ work: @escaping @Sendable (Resource, PlanContext) async throws -> ResourceCounts
    ) async throws -> Summary {
        let dryRun = options.dryRun
        let runLog = RunLog(connection: control)
        var logger = logger
        let runID: Int64 = dryRun ? 0 : try await runLog.start(command: command, arguments: arguments, companyID: companyID)
        logger[metadataKey: "run_id"] = "\(runID)"
        logger.info("run started", metadata: ["resources": "\(connections.map(\.0.rawValue).joined(separator: ","))"])

        let outcomes = await self.runResources(
            connections, companyID: companyID, runID: runID, options: options, control: control, logger: logger, work
        )
        var counts = [Resource: ResourceCounts]()
        var skipped = [Resource: ResourceSkip]()
        var firstError: (any Error)?
        var errors = [Resource: any Error]()
        for outcome in outcomes.sorted(by: { $0.resource.rawValue < $1.resource.rawValue }) {
            if let skip = outcome.skipped {
                skipped[outcome.resource] = skip
                logger.notice("resource skipped", metadata: ["resource": "\(outcome.resource)", "scope": "\(skip.scope)", "reason": "\(skip)"])
            } else if let resourceCounts = outcome.counts {
                counts[outcome.resource] = resourceCounts
                logger.info("resource done", metadata: ["resource": "\(outcome.resource)", "inserted": "\(resourceCounts.inserted)", "updated": "\(resourceCounts.updated)", "unchanged": "\(resourceCounts.unchanged)"])
            } else if let error = outcome.error {
                errors[outcome.resource] = error
                // A real failure decides the exit status before an interruption does.
                if firstError == nil || (!outcome.isInterruption && firstError.map(ResourceOutcome.isInterruption) == true) { firstError = error }
                logger.error("resource failed", metadata: ["resource": "\(outcome.resource)", "error": "\(error)"])
            }
        }

        // Rejected items do not fail the run (the rest was stored), but its exit status says so.
        let rejected = counts.values.reduce(0) { $0 + $1.rejected }
        if rejected > 0 && firstError == nil {
            firstError = SyncError.itemsRejected(rejected)
        }

        // Record failures and skips per resource, and close the run row with its exit status.
        let summary = Summary(
            runID: dryRun ? nil : runID, companyID: companyID, counts: counts, skipped: skipped.mapValues(\.description), abandonedRuns: abandoned,
            http: client.statistics - httpBefore, duration: .zero, dryRun: dryRun, firstError: firstError, errors: errors
        )
        if !dryRun {
            let store = WatermarkStore(connection: control)
            for (resource, error) in errors {
                try? await store.recordFailure(companyID: companyID, resource: resource, error: String(describing: error))
            }
            for skip in skipped.values {
                try? await store.recordSkip(skip, companyID: companyID)
            }
            let interrupted = outcomes.allSatisfy { $0.error == nil || $0.isInterruption }
            let status: RunLog.Status = errors.isEmpty ? .succeeded : (interrupted || Task.isCancelled ? .interrupted : .failed)
            let error = errors.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key): \($0.value)" }.first
                ?? firstError.map { String(describing: $0) }
            let exitStatus = RunFailures(summary.runFailures, noun: "resource")?.status ?? ExitStatus.success
            try await runLog.finish(runID, status: status, exitStatus: exitStatus, counts: counts, http: summary.http, error: error)
        }
        return summary
    }

    /// Runs `work` for each resource on its own connection, concurrently, and collects each
    /// outcome (counts, a skip notice or the error) for the caller to fold: the group only gathers.
    private func runResources(
        _ connections: [(Resource, PostgresConnection)], companyID: String, runID: Int64, options: SyncOptions,
        control: PostgresConnection, logger: Logger, _ work: @escaping @Sendable (Resource, PlanContext) async throws -> ResourceCounts
    ) async -> [ResourceOutcome] {
        await withTaskGroup(of: ResourceOutcome.self, returning: [ResourceOutcome].self) { group in
            for (resource, connection) in connections {
                var resourceLogger = logger
                resourceLogger[metadataKey: "resource"] = "\(resource)"
                let context = PlanContext(
                    client: client, connection: connection, companyID: companyID, runID: runID,
                    options: options, logger: resourceLogger, progress: progress
                )
                let grace = options.shutdownGrace, clock = client.clock
                group.addTask {
                    do {
                        let counts = try await ShutdownDeadline.run(resource: resource, grace: grace, clock: clock) {
                            try await work(resource, context)
                        }
                        return ResourceOutcome(resource: resource, counts: counts, error: nil)
                    } catch let skip as ResourceSkip {
                        return ResourceOutcome(resource: resource, counts: nil, error: nil, skipped: skip)
                    } catch let error as PostgresError where error.sqlState == .lockNotAvailable {
                        // Only this resource fails; name the table and who holds the lock.
                        let described = await LockTimeout.error(error, resource: resource, on: control)
                        return ResourceOutcome(resource: resource, counts: nil, error: described)
                    } catch {
                        return ResourceOutcome(resource: resource, counts: nil, error: error)
                    }
                }
            }
            var outcomes = [ResourceOutcome]()
            for await outcome in group { outcomes.append(outcome) }
            return outcomes
        }
    }

    /// Runs an API call that graceful shutdown cancels (e.g. in a 429 wait before the run starts).
    static func interruptible<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        do {
            return try await cancelWhenGracefulShutdown(operation)
        } catch where Task.isShuttingDownGracefully && !Task.isCancelled {
            throw SyncError(.interrupted, "stopped by a signal before the run started; nothing was written", underlying: error)
        }
    }

    /// Opens one connection per resource and takes its advisory lock; on any conflict releases
    /// everything and throws `.lockHeld` naming the resource.
    private func lockResources(_ resources: [Resource], companyID: String) async throws -> [(Resource, PostgresConnection)] {
        var taken = [(Resource, PostgresConnection)]()
        do {
            for resource in resources {
                let connection = try await PostgresConnection.connect(database, logger: logger)
                taken.append((resource, connection))
                guard try await connection.tryAdvisoryLock(resource.lockName(companyID: companyID)) else {
                    throw SyncError(
                        .lockHeld,
                        "another understory-sync run is already syncing \(resource) for company \(companyID); not starting a second one",
                        resource: resource
                    )
                }
            }
            return taken
        } catch {
            for (_, connection) in taken { await connection.close() }
            throw error
        }
    }
}

extension SyncRunner {
    /// What a backfill did.
    public struct BackfillSummary: Sendable {
        public var run: Summary
        public var slicesDone: Int
        public var slicesSkipped: Int
    }

    /// Reloads a window of one resource, `concurrency` slices at a time. Resumes a backfill of the
    /// same window that was interrupted (with `force`, reloads the finished slices too). Never
    /// moves the nightly watermark.
    public func backfill(
        resource: Resource, window: BackfillWindow, concurrency: Int, force: Bool = false, options: SyncOptions = SyncOptions(),
        arguments: [String: String] = [:]
    ) async throws -> BackfillSummary {
        let slices = SliceTally()
        let database = self.database
        let logger = self.logger
        var options = options
        options.resources = [resource]
        options.namedResources = [resource]
        let summary = try await withRun(command: "backfill", arguments: arguments, resources: [resource], options: options) { resource, context in
            let result = try await BackfillPlan.run(
                context, resource: resource, window: window, concurrency: concurrency, force: force,
                connect: {
                    let connection = try await PostgresConnection.connect(database, logger: logger)
                    return connection
                }
            )
            slices.set(done: result.slicesDone, skipped: result.slicesSkipped)
            return result.counts
        }
        return BackfillSummary(run: summary, slicesDone: slices.done, slicesSkipped: slices.skipped)
    }
}

/// What one resource's part of a run ended with.
struct ResourceOutcome: Sendable {
    let resource: Resource
    let counts: ResourceCounts?
    let error: (any Error)?
    /// Why the resource was skipped (a notice, not a failure).
    var skipped: ResourceSkip? = nil

    /// Stopped by graceful shutdown rather than failed.
    var isInterruption: Bool { error.map(Self.isInterruption) ?? false }

    static func isInterruption(_ error: any Error) -> Bool { (error as? SyncError)?.code == .interrupted }
}

/// Carries slice counts out of the concurrent backfill work.
final class SliceTally: @unchecked Sendable {
    // Invariant: every access holds `lock`.
    private let lock = NSLock()
    private var _done = 0, _skipped = 0
    func set(done: Int, skipped: Int) { lock.withLock { _done = done; _skipped = skipped } }
    var done: Int { lock.withLock { _done } }
    var skipped: Int { lock.withLock { _skipped } }
}
