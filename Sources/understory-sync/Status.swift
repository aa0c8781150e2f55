import ArgumentParser
import Foundation
import PostgresClient
import SyncEngine
import SyncServer

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Per account and resource: watermark, last success, rows, last error and how stale the data is; connected accounts and their state."
    )

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print JSON for machines.")
    var json = false

    @Option(help: ArgumentHelp("Also write the status page (the HTML `serve` shows at GET /) to this file.", valueName: "file"))
    var html: String?

    func run() async throws {
        let logger = global.makeLogger()
        let report = try await StatusReport.load(database: global.database, logger: logger)
        if let html {
            let details = try await PostgresConnection.withConnection(global.database, logger: logger) { try await StatusDetails.load(from: $0) }
            try Data(StatusPage.render(report, details: details, now: Date()).utf8).write(to: URL(fileURLWithPath: html), options: .atomic)
        }
        if json {
            try JSONOutput.print(report)
        } else {
            print(render(report))
            print(Self.render(report.webhookInbox, now: Date()))
        }
    }

    /// One line on the webhook inbox of `serve`.
    static func render(_ inbox: WebhookInbox.Summary, now: Date) -> String {
        let oldest = inbox.oldestPendingReceivedAt.map { " (oldest \(Int(now.timeIntervalSince($0))) s)" } ?? ""
        return "webhook inbox: \(inbox.pending) pending\(oldest), \(inbox.parked) parked, \(inbox.processed) processed (kept 7 days)"
    }

    /// One line per resource the last run skipped for a missing scope, below the table: the scope to tick.
    static func skippedLines(_ resources: [StatusReport.ResourceStatus]) -> [String] {
        resources.compactMap { item in
            guard let scope = item.skippedScope else { return nil }
            let why = item.skippedReason.map { " (\($0))" } ?? ""
            return "skipped: \(item.resource) of \(item.companyID) since \(item.skippedAt.map(Self.time) ?? "-")\(why): tick \(scope) on the integration key and add it to UNDERSTORY_SCOPES"
        }
    }

    func render(_ report: StatusReport) -> String {
        var lines = ["schema version \(report.schemaVersion)"]
        if report.resources.isEmpty {
            lines.append("nothing synced yet: run `understory-sync sync`")
        }
        let header = ["company", "resource", "rows", "rejected", "watermark", "last success", "stale", "last error"]
        var rows = [header]
        for item in report.resources {
            rows.append([
                item.companyID, item.resource, "\(item.rows)", "\(item.rejectedItems)", item.watermark.map(Self.time) ?? "-",
                item.lastSuccessAt.map(Self.time) ?? "never", item.staleSeconds.map(Self.age) ?? "-", item.lastError ?? "",
            ])
        }
        if !report.resources.isEmpty {
            lines += TextTable.render(rows, rightAligned: [2, 3])
            let rejected = report.resources.reduce(0) { $0 + $1.rejectedItems }
            if rejected > 0 {
                lines.append("\(rejected) rejected item\(rejected == 1 ? "" : "s") unresolved: see understory.rejected_items (every sync fetches them again)")
            }
            lines += Self.skippedLines(report.resources)
        }
        if !report.accounts.isEmpty {
            lines.append("accounts:")
            lines += AccountsList.table(report.accounts).map { "  " + $0 }
        }
        for reconcile in report.lastReconciles {
            let run = reconcile.run
            let company = reconcile.companyID.map { " for company \($0)" } ?? ""
            lines.append("last reconcile: run \(run.id) \(run.status)\(company), started \(Self.time(run.startedAt))\(run.error.map { " — \($0)" } ?? "")")
            var drift = [["resource", "missing", "stale", "deleted", "children fixed"]]
            for (resource, counts) in reconcile.drift.sorted(by: { $0.key < $1.key }) {
                drift.append([
                    resource, "\(counts.missing ?? 0)", "\(counts.stale ?? 0)", "\(counts.deleted ?? 0)",
                    counts.childrenFixed.map(String.init) ?? "-",
                ])
            }
            if drift.count > 1 { lines += TextTable.render(drift, rightAligned: [1, 2, 3, 4]).map { "  " + $0 } }
        }
        if let fleet = report.fleet {
            lines += FleetTable.render(fleet)
        }
        if let run = report.lastRun {
            lines.append("last run: \(run.id) \(run.command) \(run.status), started \(Self.time(run.startedAt))\(run.error.map { " — \($0)" } ?? "")")
        }
        for scheduler in report.schedulers {
            let next = scheduler.nextFireAt.map { "next run \(Self.time($0))" } ?? "next run not scheduled"
            lines.append("scheduler: \(scheduler.host) pid \(scheduler.pid), cron \"\(scheduler.cron)\" (\(scheduler.timezone)), \(next)")
        }
        for run in report.runningRuns {
            lines.append("running: \(run.id) \(run.command) since \(Self.time(run.startedAt))")
        }
        return lines.joined(separator: "\n")
    }

    static func time(_ date: Date) -> String { StatusFormat.time(date) }

    static func age(_ seconds: Int) -> String { StatusFormat.age(seconds) }
}
