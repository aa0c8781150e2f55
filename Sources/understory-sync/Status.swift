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
        return TextTable.wrap("webhook inbox: \(inbox.pending) pending\(oldest), \(inbox.parked) parked, \(inbox.processed) processed (kept 7 days)")
            .joined(separator: "\n")
    }

    func render(_ report: StatusReport) -> String {
        var lines = ["schema version \(report.schemaVersion)"]
        if report.resources.isEmpty {
            lines.append("nothing synced yet: run `understory-sync sync`")
        }
        lines += Self.freshness(report.resources)
        if !report.accounts.isEmpty {
            lines.append("accounts:")
            lines += AccountsList.table(report.accounts, width: TextTable.columns - 2).map { "  " + $0 }
        }
        for reconcile in report.lastReconciles {
            let run = reconcile.run
            let company = reconcile.companyID.map { " for company \($0)" } ?? ""
            lines += TextTable.wrap("last reconcile: run \(run.id) \(run.status)\(company), started \(Self.time(run.startedAt))\(run.error.map { " — \($0)" } ?? "")")
            var drift = [["resource", "missing", "stale", "deleted", "children fixed"]]
            for (resource, counts) in reconcile.drift.sorted(by: { $0.key < $1.key }) {
                drift.append([
                    resource, "\(counts.missing ?? 0)", "\(counts.stale ?? 0)", "\(counts.deleted ?? 0)",
                    counts.childrenFixed.map(String.init) ?? "-",
                ])
            }
            if drift.count > 1 { lines += TextTable.render(drift, rightAligned: [1, 2, 3, 4], width: TextTable.columns - 2).map { "  " + $0 } }
        }
        if let fleet = report.fleet {
            lines += FleetTable.render(fleet)
        }
        if let run = report.lastRun {
            lines += TextTable.wrap("last run: \(run.id) \(run.command) \(run.status), started \(Self.time(run.startedAt))\(run.error.map { " — \($0)" } ?? "")")
        }
        for scheduler in report.schedulers {
            let next = scheduler.nextFireAt.map { "next run \(Self.time($0))" } ?? "next run not scheduled"
            // Two lines, never wrapped inside the cron expression.
            lines.append("scheduler: \(scheduler.host) pid \(scheduler.pid), cron \"\(scheduler.cron)\" (\(scheduler.timezone))")
            lines.append("  \(next)")
        }
        for run in report.runningRuns {
            lines.append("running: \(run.id) \(run.command) since \(Self.time(run.startedAt))")
        }
        return lines.joined(separator: "\n")
    }

    /// Per account, a table of its resources (rows, watermark, last success, staleness); below
    /// it, each resource's unresolved rejected items and last error, wrapped.
    static func freshness(_ resources: [StatusReport.ResourceStatus]) -> [String] {
        guard !resources.isEmpty else { return [] }
        var lines: [String] = []
        var companies: [String] = []
        for item in resources where !companies.contains(item.companyID) { companies.append(item.companyID) }
        for company in companies {
            let items = resources.filter { $0.companyID == company }
            lines.append("company \(company)")
            var rows = [["resource", "rows", "watermark", "last success", "stale"]]
            for item in items {
                rows.append([
                    item.resource, "\(item.rows)", item.watermark.map(Self.time) ?? "-", item.lastSuccessAt.map(Self.time) ?? "never",
                    item.staleSeconds.map(Self.age) ?? "-",
                ])
            }
            lines += TextTable.render(rows, rightAligned: [1])
            for item in items {
                if item.rejectedItems > 0 {
                    lines += TextTable.wrap("\(item.rejectedItems) rejected item\(item.rejectedItems == 1 ? "" : "s") unresolved", lead: "\(item.resource): ")
                }
                if let error = item.lastError, !error.isEmpty {
                    lines += TextTable.wrap(error, lead: "\(item.resource) last error: ")
                }
                if let scope = item.skippedScope {
                    // Skipped by the last run that chose it: the scope to tick.
                    let why = item.skippedReason.map { " (\($0))" } ?? ""
                    let since = item.skippedAt.map(Self.time) ?? "-"
                    lines += TextTable.wrap(
                        "since \(since)\(why): tick \(scope) on the integration key and add it to UNDERSTORY_SCOPES",
                        lead: "\(item.resource) skipped "
                    )
                }
            }
        }
        let rejected = resources.reduce(0) { $0 + $1.rejectedItems }
        if rejected > 0 {
            let items = "\(rejected) rejected item\(rejected == 1 ? "" : "s")"
            lines += TextTable.wrap("\(items) unresolved: see understory.rejected_items (every sync fetches them again)")
        }
        return lines
    }

    static func time(_ date: Date) -> String { StatusFormat.time(date) }

    static func age(_ seconds: Int) -> String { StatusFormat.age(seconds) }
}
