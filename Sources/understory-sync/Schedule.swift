import ArgumentParser
import Foundation
import Logging
import SyncEngine
import SyncServer

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
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "Cron expression, e.g. \"*/15 * * * *\" or @daily.")
    var cron: String

    @Option(name: .customLong("tz"), help: "Time zone of the expression, e.g. Europe/Copenhagen (default: env TZ, else UTC).")
    var timeZoneName: String?

    @Flag(name: .customLong("run-now"), help: "Run once at start, then follow the schedule.")
    var runNow = false

    @Option(name: .customLong("metrics-port"), help: "Also serve GET /healthz and GET /metrics on this port (127.0.0.1; 0 = any free port).")
    var metricsPort: Int?

    @Option(name: .customLong("metrics-host"), help: "Address for --metrics-port.")
    var metricsHost = "127.0.0.1"

    @OptionGroup var sync: SyncArguments

    @OptionGroup var accounts: AccountSelection

    func validate() throws {
        do {
            _ = try CronExpression(cron)
        } catch {
            throw ValidationError(error.description)
        }
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
            let quiet = global.quiet

            // Announce this scheduler (and its next fire time) so `status` can show it.
            let heartbeat = try await SchedulerHeartbeat.start(
                database: database, cron: cron, timeZone: zone,
                nextFire: runNow ? Date() : expression.nextFire(after: Date(), in: zone), logger: logger
            )
            let scheduler = Scheduler(expression: expression, timeZone: zone, runNow: runNow, logger: logger) { fire in
                var logger = logger
                logger[metadataKey: "scheduled"] = "\(Scheduler.format(fire.scheduled, in: zone))"
                ProgressLine.shared.start(enabled: !quiet)
                do {
                    if let selection = accounts.selection {
                        let outcomes = try await AccountRuns.sync(
                            selection, concurrency: accounts.concurrency, global: global, options: options, arguments: arguments, logger: logger
                        )
                        ProgressLine.shared.clear()
                        if !quiet { FileHandle.standardOutput.write(Data((AccountRuns.render(outcomes) + "\n").utf8)) }
                        if let error = outcomes.lazy.compactMap(\.failure).first {
                            logger.error("scheduled run failed for some accounts", metadata: ["error": "\(ExitStatus.oneLine(error))"])
                        } else {
                            logger.info("scheduled run finished", metadata: ["accounts": "\(outcomes.count)"])
                        }
                    } else {
                        let summary = try await withAPIClient(api, logger: logger) { client in
                            try await SyncRunner(database: database, client: client, logger: logger, progress: ProgressLine.shared)
                                .sync(options, arguments: arguments)
                        }
                        ProgressLine.shared.clear()
                        if !quiet {
                            // Unbuffered, so each summary shows up at once even when stdout is a pipe.
                            FileHandle.standardOutput.write(Data((RunSummaryTable.render(summary) + "\n").utf8))
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
                do {
                    try await heartbeat.beat(nextFire: expression.nextFire(after: Date(), in: zone))
                } catch {
                    logger.warning("could not record the scheduler heartbeat", metadata: ["error": "\(ExitStatus.oneLine(error))"])
                }
            }
            logger.info("scheduler started", metadata: ["cron": "\(expression)", "tz": "\(zone.identifier)"])
            do {
                if let metricsPort {
                    var configuration = WebhookServer.Configuration()
                    configuration.host = metricsHost
                    configuration.port = metricsPort
                    configuration.metricsOnly = true
                    let host = metricsHost
                    let server = WebhookServer(
                        configuration: configuration, database: database, accounts: { [] }, worker: nil, scheduler: scheduler, logger: logger
                    )
                    try await server.run { port in
                        FileHandle.standardOutput.write(Data("metrics listening on \(host):\(port)\n".utf8))
                    }
                } else {
                    try await scheduler.runUntilSignalled()
                }
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
