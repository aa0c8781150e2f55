import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import SyncEngine

struct Worker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stay up and sync connected accounts as they fall due, sharing them with any number of other workers.",
        discussion: """
            Third-party mode. Workers coordinate through PostgreSQL alone: each claims due accounts (most overdue \
            first) with a lease, syncs them --concurrency at a time, and schedules each account's next sync --every \
            later (jittered); a failing account backs off exponentially. A worker killed with -9 loses its accounts \
            when its leases expire (--lease) and another worker continues. Accounts that must be connected again are \
            never claimed. SIGTERM or SIGINT: the accounts in hand commit their batch, their leases are released and \
            the worker exits 0. `status` shows each account's lease, next due time and failures.
            """
    )

    @OptionGroup var global: GlobalOptions

    @OptionGroup var sync: SyncArguments

    @OptionGroup var fleet: FleetArguments

    @OptionGroup var metrics: MetricsOptions

    @Option(help: "Accounts this worker syncs at once (default 4).")
    var concurrency: Int = 4

    func validate() throws {
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
    }

    func run() async throws {
        let logger = global.makeLogger()
        SecondSignal.install()
        do {
            let policy = fleet.policy, concurrency = self.concurrency, options = sync.options
            let arguments = sync.arguments.merging(["every": fleet.every]) { $1 }
            try await global.syncJob(logger: logger).withAccounts { accounts in
                let worker = FleetWorker(accounts: accounts, policy: policy, concurrency: concurrency)
                let loop = WorkerLoop {
                    try await worker.run(options: options, arguments: arguments) { pass in
                        Self.log(pass, logger: logger)
                    }
                }
                if metrics.metricsPort != nil {
                    try await metrics.serve([loop], global: global, logger: logger)
                } else {
                    try await GracefulRun.run(logger: logger) { try await loop.run() }
                }
            }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            throw ExitStatus.fail(error)
        }
    }

    static func log(_ pass: FleetWorker.Pass, logger: Logger) {
        let failed = pass.outcomes.filter { !$0.succeeded }
        for outcome in failed {
            logger.error("account sync failed", metadata: [
                "company_id": "\(outcome.account.companyID)", "error": "\(RunFailures.first(outcome.failures).map(ExitStatus.oneLine) ?? "")",
            ])
        }
        if let failures = RunFailures(pass.failures, noun: "account") {
            logger.warning("pass ended with failures", metadata: ["exit_status": "\(failures.status)", "failures": "\(failures)"])
        }
        guard !pass.outcomes.isEmpty else { return }
        logger.info("pass finished", metadata: [
            "synced": "\(pass.outcomes.count - failed.count)", "failed": "\(failed.count)",
            "needs_reconnect": "\(pass.needsReconnect.count)", "lost_leases": "\(pass.lostLeases.count)",
        ])
    }
}

/// The worker's claim-and-sync loop as a service, so it runs beside the metrics endpoints and
/// sees their graceful shutdown.
private struct WorkerLoop: Service {
    let body: @Sendable () async throws -> Void
    func run() async throws { try await body() }
}
