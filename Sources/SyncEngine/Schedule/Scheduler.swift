import Foundation
import Logging
import ServiceLifecycle
import TimeSource

/// Runs a job at the fire times of a cron expression until cancelled or shut down gracefully.
///
/// - Missed fire times (the process slept, or a run overran) are coalesced into one run that
///   starts at once; there is never a burst of catch-up runs.
/// - Runs never overlap: the next wait starts only after the job returns.
/// - Graceful shutdown (swift-service-lifecycle) ends the wait at once; a run in progress is left
///   to finish (the job may check `Task.isShuttingDownGracefully` to stop early), then the loop
///   returns. Task cancellation is passed on to the job.
///
/// Time is injected (`clock`: fire times are wall-clock times, waited for with
/// ``TimeSource/sleep(until:)``), so tests drive it with a virtual clock.
public struct Scheduler: Service {
    /// One run of the job.
    public struct Fire: Sendable, Hashable {
        /// The fire time this run is for (for `runNow`, the start time).
        public var scheduled: Date
        /// When the run started.
        public var started: Date
        /// Further fire times that had passed as well and were folded into this run (counted up
        /// to 1000).
        public var coalesced: Int
    }

    public var expression: CronExpression
    public var timeZone: TimeZone
    /// Run once immediately at start, before the first fire time.
    public var runNow: Bool
    public var clock: any TimeSource
    public var logger: Logger
    public var job: @Sendable (Fire) async -> Void

    public init(
        expression: CronExpression, timeZone: TimeZone, runNow: Bool = false, clock: any TimeSource = .system,
        logger: Logger, job: @escaping @Sendable (Fire) async -> Void
    ) {
        self.expression = expression
        self.timeZone = timeZone
        self.runNow = runNow
        self.clock = clock
        self.logger = logger
        self.job = job
    }

    private var stopping: Bool { Task.isCancelled || Task.isShuttingDownGracefully }

    /// Waits, runs, repeats; returns when cancelled, shut down, or when no fire time is left.
    public func run() async {
        var due: Date? = runNow ? clock.wallNow : expression.nextFire(after: clock.wallNow, in: timeZone)
        while !stopping {
            guard let scheduled = due else {
                logger.warning("the cron expression has no further fire time; scheduler stops", metadata: ["cron": "\(expression)"])
                return
            }
            logger.info("next run", metadata: ["at": "\(Self.format(scheduled, in: timeZone))", "cron": "\(expression)"])
            let clock = self.clock
            do {
                try await cancelWhenGracefulShutdown { try await clock.sleep(until: scheduled) }
            } catch {
                break  // cancelled, or graceful shutdown cancelled the wait
            }
            if stopping { break }

            let started = clock.wallNow
            var coalesced = 0
            var cursor = scheduled
            while coalesced < 1000, let later = expression.nextFire(after: cursor, in: timeZone), later <= started {
                coalesced += 1
                cursor = later
            }
            if coalesced > 0 {
                logger.notice("missed fire times folded into one run", metadata: ["missed": "\(coalesced)", "scheduled": "\(Self.format(scheduled, in: timeZone))"])
            }
            await job(Fire(scheduled: scheduled, started: started, coalesced: coalesced))
            // Fire times that pass during the run are due at once: the next loop runs them as one.
            due = expression.nextFire(after: started, in: timeZone)
        }
        logger.info("scheduler stopped")
    }

    /// Runs the scheduler in a `ServiceGroup` that turns SIGTERM and SIGINT into graceful shutdown:
    /// the wait ends, a run in progress finishes, and this returns.
    public func runUntilSignalled() async throws {
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: self, successTerminationBehavior: .gracefullyShutdownGroup)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
    }

    /// Runs several schedulers side by side (e.g. sync and reconcile) until SIGTERM or SIGINT:
    /// every wait ends, runs in progress finish, and this returns.
    public static func runUntilSignalled(_ schedulers: [Scheduler], logger: Logger) async throws {
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: schedulers.map { .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup) },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
    }

    /// ISO 8601 with the zone's offset, e.g. `2026-03-29T03:00:00+02:00`.
    public static func format(_ date: Date, in timeZone: TimeZone) -> String {
        var style = Date.ISO8601FormatStyle(timeZone: timeZone)
        style = style.year().month().day().time(includingFractionalSeconds: false).timeZone(separator: .colon)
        return date.formatted(style)
    }
}
