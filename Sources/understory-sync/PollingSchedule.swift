import ArgumentParser
import Foundation
import Logging
import PostgresClient
import SyncEngine
import UnderstoryAPI

/// The schedule options `schedule` and `serve --cron` share (each command declares its own `--cron`).
struct PollingOptions: ParsableArguments {
    @Option(name: .customLong("tz"), help: "Time zone of the cron expressions, e.g. Europe/Copenhagen (default: env TZ, else UTC).")
    var timeZoneName: String?

    @Flag(name: .customLong("run-now"), help: "Run once at start, then follow the schedule.")
    var runNow = false

    @Option(name: .customLong("reconcile-cron"), help: "Also run `reconcile` on this cron expression, e.g. @daily or \"0 3 * * 0\" (never at the same time as a sync).")
    var reconcileCron: String?

    @Option(name: .customLong("children-days"), help: "Reconcile: re-fetch and compare the children of orders created in the last N days (default 90).")
    var childrenDays: Int = 90

    func validate() throws {
        if let reconcileCron {
            do {
                _ = try CronExpression(reconcileCron)
            } catch {
                throw ValidationError("--reconcile-cron: \(error.description)")
            }
        }
        guard childrenDays >= 0 else { throw ValidationError("--children-days must be zero or more") }
        _ = try timeZone()
    }

    /// `--tz`, else `TZ` (a leading `:` is allowed, as libc does), else UTC.
    func timeZone() throws -> TimeZone {
        var name = timeZoneName ?? ProcessInfo.processInfo.environment["TZ"] ?? ""
        if timeZoneName == nil, name.hasPrefix(":") { name.removeFirst() }
        if name.isEmpty { return TimeZone(identifier: "UTC")! }
        guard let zone = TimeZone(identifier: name) else {
            let source = timeZoneName == nil ? "TZ" : "--tz"
            throw ValidationError("unknown time zone \"\(name)\" (\(source)): use an IANA name such as Europe/Copenhagen or UTC")
        }
        return zone
    }
}

/// The polling schedule of `schedule` and of `serve --cron`: a sync on `cron`, optionally a
/// reconcile on `--reconcile-cron` (the two take turns), the scheduler heartbeat `status` shows,
/// for the internal key's company or the selected accounts.
struct PollingSchedule {
    let schedulers: [Scheduler]
    let heartbeat: SchedulerHeartbeat

    /// Announces the scheduler (so `status` shows it) and builds its schedulers; call ``stop()`` when done.
    static func start(
        cron: String, polling: PollingOptions, global: GlobalOptions, sync: SyncArguments, accounts: AccountSelection, logger: Logger
    ) async throws -> PollingSchedule {
        let expression = try CronExpression(cron)
        let zone = try polling.timeZone()
        let job = try global.syncJob(logger: logger)
        let database = global.database
        let options = sync.options
        let arguments = sync.arguments.merging(["cron": cron, "tz": zone.identifier]) { $1 }
        let heartbeat = try await SchedulerHeartbeat.start(
            database: database, cron: cron, timeZone: zone,
            nextFire: polling.runNow ? Date() : expression.nextFire(after: Date(), in: zone), logger: logger
        )
        let jobs = Jobs(job: job, scope: accounts.scope, quiet: global.quiet, zone: zone)
        // Sync and reconcile take turns: one job at a time, so they never collide on a lock.
        let turns = OneAtATime()
        let syncJob = jobs.job(.sync, options: options, arguments: arguments)
        var schedulers = [
            Scheduler(expression: expression, timeZone: zone, runNow: polling.runNow, logger: logger) { fire in
                await turns.run { await syncJob(fire) }
                do {
                    try await heartbeat.beat(nextFire: expression.nextFire(after: Date(), in: zone))
                } catch {
                    logger.warning("could not record the scheduler heartbeat", metadata: ["error": "\(ExitStatus.oneLine(error))"])
                }
            },
        ]
        if let reconcileCron = polling.reconcileCron {
            var reconcileOptions = options
            reconcileOptions.full = false
            reconcileOptions.childrenDays = polling.childrenDays
            let reconcileArguments = arguments.merging(["reconcile_cron": reconcileCron, "children_days": "\(polling.childrenDays)"]) { $1 }
            let reconcileJob = jobs.job(.reconcile, options: reconcileOptions, arguments: reconcileArguments)
            schedulers.append(Scheduler(expression: try CronExpression(reconcileCron), timeZone: zone, logger: logger) { fire in
                await turns.run { await reconcileJob(fire) }
            })
        }
        logger.info("scheduler started", metadata: ["cron": "\(expression)", "tz": "\(zone.identifier)"])
        return PollingSchedule(schedulers: schedulers, heartbeat: heartbeat)
    }

    func stop() async { await heartbeat.stop() }

    /// Runs `body` with the schedulers, then stops the heartbeat whether `body` threw or not.
    func run(_ body: ([Scheduler]) async throws -> Void) async throws {
        do {
            try await body(schedulers)
        } catch {
            await stop()
            throw error
        }
        await stop()
    }

    /// One fire time's work: a sync or a reconcile of the internal key's company or of the selected
    /// accounts. Failures are logged and the schedule goes on; a held lock skips the fire time.
    struct Jobs {
        let job: SyncJob
        let scope: SyncScope
        let quiet: Bool
        let zone: TimeZone

        func job(_ command: SyncJob.Command, options: SyncOptions, arguments: [String: String]) -> @Sendable (Scheduler.Fire) async -> Void {
            let job = self.job, scope = self.scope, quiet = self.quiet, zone = self.zone
            return { fire in
                var logger = job.logger
                logger[metadataKey: "scheduled"] = "\(Scheduler.format(fire.scheduled, in: zone))"
                logger[metadataKey: "command"] = "\(command.rawValue)"
                let fireJob = SyncJob(database: job.database, api: job.api, key: job.key, logger: logger, progress: job.progress)
                ProgressLine.shared.start(enabled: !quiet)
                do {
                    let outcome = try await fireJob.run(command, scope, options: options, arguments: arguments, graceful: false)
                    ProgressLine.shared.clear()
                    switch outcome {
                    case .accounts(let outcomes):
                        let text = command == .sync ? AccountRuns.render(outcomes) : Reconcile.render(outcomes)
                        if !quiet { FileHandle.standardOutput.write(Data((text + "\n").utf8)) }
                        if let error = RunFailures.decisive(outcome) {
                            logger.error("scheduled run failed for some accounts", metadata: ["error": "\(ExitStatus.oneLine(error))"])
                        } else {
                            logger.info("scheduled run finished", metadata: ["accounts": "\(outcomes.count)"])
                        }
                    case .company(let summary):
                        if !quiet {
                            // Unbuffered, so each summary shows up at once even when stdout is a pipe.
                            let text = command == .sync ? RunSummaryTable.render(summary) : Reconcile.render(summary)
                            FileHandle.standardOutput.write(Data((text + "\n").utf8))
                        }
                        var metadata: Logger.Metadata = ["duration": "\(summary.duration)"]
                        if let runID = summary.runID { metadata["run_id"] = "\(runID)" }
                        if let error = RunFailures.decisive(outcome) {
                            logger.error("scheduled run failed", metadata: metadata.merging(["error": "\(ExitStatus.oneLine(error))"]) { $1 })
                        } else {
                            logger.info("scheduled run finished", metadata: metadata)
                        }
                    }
                } catch let error as SyncError where error.code == .lockHeld {
                    ProgressLine.shared.clear()
                    logger.notice("another run holds the lock; skipped this fire time", metadata: ["reason": "\(error)"])
                } catch {
                    ProgressLine.shared.clear()
                    logger.error("scheduled run failed", metadata: ["error": "\(ExitStatus.oneLine(error))"])
                }
            }
        }
    }
}
