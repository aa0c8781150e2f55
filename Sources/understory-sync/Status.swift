import ArgumentParser
import Foundation
import PostgresClient
import SyncEngine

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Per account and resource: watermark, last success, rows, last error and how stale the data is; connected accounts and their state."
    )

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print JSON for machines.")
    var json = false

    func run() async throws {
        let logger = global.makeLogger()
        do {
            let report = try await PostgresConnection.withConnection(global.database, logger: logger) { connection in
                try await StatusReport.load(from: connection)
            }
            if json {
                try JSONOutput.print(report)
            } else {
                print(render(report))
            }
        } catch {
            throw ExitStatus.fail(error)
        }
    }

    func render(_ report: StatusReport) -> String {
        var lines = ["schema version \(report.schemaVersion)"]
        if report.resources.isEmpty {
            lines.append("nothing synced yet: run `understory-sync sync`")
        }
        let header = ["company", "resource", "rows", "watermark", "last success", "stale", "last error"]
        var rows = [header]
        for item in report.resources {
            rows.append([
                item.companyID, item.resource, "\(item.rows)", item.watermark.map(Self.time) ?? "-",
                item.lastSuccessAt.map(Self.time) ?? "never", item.staleSeconds.map(Self.age) ?? "-", item.lastError ?? "",
            ])
        }
        if !report.resources.isEmpty {
            lines += TextTable.render(rows, rightAligned: [2])
        }
        if !report.accounts.isEmpty {
            lines.append("accounts:")
            lines += AccountsList.table(report.accounts).map { "  " + $0 }
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

    static func time(_ date: Date) -> String {
        ISO8601DateFormatter.string(from: date, timeZone: .gmt, formatOptions: [.withInternetDateTime])
    }

    static func age(_ seconds: Int) -> String {
        if seconds < 120 { return "\(seconds) s" }
        if seconds < 7200 { return "\(seconds / 60) min" }
        if seconds < 172_800 { return "\(seconds / 3600) h" }
        return "\(seconds / 86_400) d"
    }
}
