import ArgumentParser
import Foundation
import Logging
import PostgresClient
import SyncEngine
import UnderstoryAPI

struct Schedule: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stay up and run `sync` at the fire times of a cron expression.",
        discussion: """
            The expression has the five standard fields (minute hour day-of-month month day-of-week) with lists,
            ranges, steps and names (JAN-DEC, SUN-SAT), or is one of @hourly @daily @midnight @weekly @monthly
            @yearly @annually. Times are read in --tz (default: the TZ variable, else UTC) and stay right across
            daylight-saving changes: a fixed-time job (e.g. "30 2 * * *") runs once on both change days, at 03:00 when
            02:30 is skipped. Fire times missed while a run overran or the machine slept are folded into one run;
            runs never overlap. Each run is a sync_runs row like any other; a failed run is logged and the schedule
            goes on. SIGTERM or SIGINT stops waiting, lets a run in progress finish, and exits 0.
            With --reconcile-cron, `reconcile` runs on its own expression too; sync and reconcile take turns (one
            waits for the other), so they never run at the same time.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "Cron expression, e.g. \"*/15 * * * *\" or @daily.")
    var cron: String

    @Option(name: .customLong("tz"), help: "Time zone of the expression, e.g. Europe/Copenhagen (default: env TZ, else UTC).")
    var timeZoneName: String?

    @Flag(name: .customLong("run-now"), help: "Run once at start, then follow the schedule.")
    var runNow = false

    @Option(name: .customLong("reconcile-cron"), help: "Also run `reconcile` on this cron expression, e.g. @daily or \"0 3 * * 0\" (never at the same time as a sync).")
    var reconcileCron: String?

    @Option(name: .customLong("children-days"), help: "Reconcile: re-fetch and compare the children of orders created in the last N days (default 90).")
    var childrenDays: Int = 90

    @OptionGroup var sync: SyncArguments

    @OptionGroup var accounts: AccountSelection

    func validate() throws {
        for (flag, expression) in [("--cron", cron), ("--reconcile-cron", reconcileCron)] {
            guard let expression else { continue }
            do {
                _ = try CronExpression(expression)
            } catch {
                throw ValidationError(flag == "--cron" ? error.description : "\(flag): \(error.description)")
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

extension Schedule {
    func run() async throws {
        let logger = global.makeLogger()
        SecondSignal.install()
        do {
            let expression = try CronExpression(cron)
            let zone = try timeZone()
            let api = try global.apiConfiguration()
            let database = global.database
            let options = sync.options
            let arguments = sync.arguments.merging(["cron": cron, "tz": zone.identifier]) { $1 }

            // Announce this scheduler (and its next fire time) so `status` can show it.
            let heartbeat = try await SchedulerHeartbeat.start(
                database: database, cron: cron, timeZone: zone,
                nextFire: runNow ? Date() : expression.nextFire(after: Date(), in: zone), logger: logger
            )
            // Sync and reconcile take turns: one job at a time, so they never collide on a lock.
            let turns = OneAtATime()
            let syncJob = job(.sync, options: options, arguments: arguments, api: api, database: database, logger: logger)
            var schedulers = [
                Scheduler(expression: expression, timeZone: zone, runNow: runNow, logger: logger) { fire in
                    await turns.run { await syncJob(fire) }
                    do {
                        try await heartbeat.beat(nextFire: expression.nextFire(after: Date(), in: zone))
                    } catch {
                        logger.warning("could not record the scheduler heartbeat", metadata: ["error": "\(ExitStatus.oneLine(error))"])
                    }
                },
            ]
            if let reconcileCron {
                var reconcileOptions = options
                reconcileOptions.full = false
                reconcileOptions.childrenDays = childrenDays
                let reconcileArguments = arguments.merging(["reconcile_cron": reconcileCron, "children_days": "\(childrenDays)"]) { $1 }
                let reconcileJob = job(.reconcile, options: reconcileOptions, arguments: reconcileArguments, api: api, database: database, logger: logger)
                schedulers.append(Scheduler(expression: try CronExpression(reconcileCron), timeZone: zone, logger: logger) { fire in
                    await turns.run { await reconcileJob(fire) }
                })
            }
            logger.info("scheduler started", metadata: ["cron": "\(expression)", "tz": "\(zone.identifier)"])
            do {
                try await Scheduler.runUntilSignalled(schedulers, logger: logger)
            } catch {
                await heartbeat.stop()
                throw error
            }
            await heartbeat.stop()
        } catch let exit as ExitCode {
            throw exit
        } catch {
            throw ExitStatus.fail(error)
        }
    }
}

extension Schedule {
    /// What a schedule runs at its fire times.
    enum Command: String { case sync, reconcile }

    /// One fire time's work: a sync or a reconcile of the internal key's company or of the
    /// selected accounts. Failures are logged and the schedule goes on; a held lock skips the fire time.
    func job(
        _ command: Command, options: SyncOptions, arguments: [String: String], api: UnderstoryConfiguration,
        database: PostgresConfiguration, logger: Logger
    ) -> @Sendable (Scheduler.Fire) async -> Void {
        let global = self.global
        let quiet = global.quiet, selection = accounts.selection, concurrency = accounts.concurrency
        let zone = (try? timeZone()) ?? TimeZone(identifier: "UTC")!
        return { fire in
            var logger = logger
            logger[metadataKey: "scheduled"] = "\(Scheduler.format(fire.scheduled, in: zone))"
            logger[metadataKey: "command"] = "\(command.rawValue)"
            ProgressLine.shared.start(enabled: !quiet)
            do {
                if let selection {
                    let outcomes = try await AccountRuns.run(
                        command, selection, concurrency: concurrency, global: global, options: options, arguments: arguments, logger: logger
                    )
                    ProgressLine.shared.clear()
                    let text = command == .sync ? AccountRuns.render(outcomes) : Reconcile.render(outcomes)
                    if !quiet { FileHandle.standardOutput.write(Data((text + "\n").utf8)) }
                    if let error = outcomes.lazy.compactMap(\.failure).first {
                        logger.error("scheduled run failed for some accounts", metadata: ["error": "\(ExitStatus.oneLine(error))"])
                    } else {
                        logger.info("scheduled run finished", metadata: ["accounts": "\(outcomes.count)"])
                    }
                } else {
                    let summary = try await withAPIClient(api, logger: logger) { client in
                        let runner = SyncRunner(database: database, client: client, logger: logger, progress: ProgressLine.shared)
                        return command == .sync
                            ? try await runner.sync(options, arguments: arguments)
                            : try await runner.reconcile(options, arguments: arguments)
                    }
                    ProgressLine.shared.clear()
                    if !quiet {
                        // Unbuffered, so each summary shows up at once even when stdout is a pipe.
                        let text = command == .sync ? RunSummaryTable.render(summary) : Reconcile.render(summary)
                        FileHandle.standardOutput.write(Data((text + "\n").utf8))
                    }
                    var metadata: Logger.Metadata = ["duration": "\(summary.duration)"]
                    if let runID = summary.runID { metadata["run_id"] = "\(runID)" }
                    if let error = summary.firstError {
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
