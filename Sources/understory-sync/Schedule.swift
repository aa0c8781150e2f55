import ArgumentParser
import Foundation
import Logging
import PostgresClient
import SyncEngine
import SyncServer
import UnderstoryAPI

struct Schedule: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stay up and run `sync` at the fire times of a cron expression.",
        discussion: """
            The expression has the five standard fields (minute hour day-of-month month day-of-week) with lists, \
            ranges, steps and names (JAN-DEC, SUN-SAT), or is one of @hourly @daily @midnight @weekly @monthly \
            @yearly @annually. Times are read in --tz (default: the TZ variable, else UTC) and stay right across \
            daylight-saving changes: a fixed-time job (e.g. "30 2 * * *") runs once on both change days, at 03:00 when \
            02:30 is skipped. Fire times missed while a run overran or the machine slept are folded into one run; \
            runs never overlap. Each run is a sync_runs row like any other; a failed run is logged and the schedule \
            goes on. SIGTERM or SIGINT stops waiting, lets a run in progress finish, and exits 0. \
            With --reconcile-cron, `reconcile` runs on its own expression too; sync and reconcile take turns (one \
            waits for the other), so they never run at the same time.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "Cron expression, e.g. \"*/15 * * * *\" or @daily.")
    var cron: String

    @OptionGroup var polling: PollingOptions

    @OptionGroup var metrics: MetricsOptions

    @OptionGroup var sync: SyncArguments

    @OptionGroup var accounts: AccountSelection

    func validate() throws {
        do {
            _ = try CronExpression(cron)
        } catch {
            throw ValidationError(error.description)
        }
    }
}

extension Schedule {
    func run() async throws {
        let logger = global.makeLogger()
        SecondSignal.install()
        do {
            let schedule = try await PollingSchedule.start(
                cron: cron, polling: polling, global: global, sync: sync, accounts: accounts, logger: logger
            )
            try await schedule.run { schedulers in
                if metrics.metricsPort != nil {
                    try await metrics.serve(schedulers, global: global, logger: logger)
                } else {
                    try await Scheduler.runUntilSignalled(schedulers, logger: logger)
                }
            }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            throw ExitStatus.fail(error)
        }
    }
}
