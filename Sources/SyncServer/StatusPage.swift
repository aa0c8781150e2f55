import Foundation
import SyncEngine

/// The status page (`GET /` of `serve`, `worker --metrics-port`, `schedule --metrics-port`, and
/// `status --html FILE`): one self-contained HTML document rendered on the server from a
/// ``StatusReport``. No external asset, no script; every value goes through ``HTML/escape(_:)``.
public enum StatusPage {
    /// The `Content-Security-Policy` the page is served with: nothing loads, nothing runs; only
    /// the page's own inline style applies.
    public static let contentSecurityPolicy =
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    public static func render(_ report: StatusReport, details: StatusDetails = StatusDetails(), now: Date) -> String {
        var html = HTML()
        html.raw(
            """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>understory-sync status</title>
            <style>
            body{font:14px/1.4 system-ui,sans-serif;margin:0 auto;padding:12px;max-width:1100px;color:#1b1b1b}
            h1{font-size:20px}h2{font-size:16px;margin-top:24px}
            .scroll{overflow-x:auto}table{border-collapse:collapse;width:100%}
            th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #ddd;white-space:nowrap}
            td.num{text-align:right}td.err{white-space:normal;color:#9b1c1c}
            .ok{color:#1a7f37}.bad{color:#9b1c1c}.warn{color:#9a6700}
            code{background:#f3f3f3;padding:1px 4px}
            .strip{display:flex;gap:2px}.run{display:inline-block;min-width:7px;height:14px;border-radius:1px;font-size:9px;line-height:14px;color:#fff;text-align:center}
            .run.succeeded{background:#2da44e}.run.failed{background:#cf222e}.run.running{background:#bf8700}
            .run.interrupted{background:#8c959f}.run.abandoned{background:#6e40c9}
            </style></head><body>
            """
        )
        html.element("h1", "understory-sync status")
        html.element("p", "generated \(time(now)) · schema version \(report.schemaVersion)")

        freshness(report, details, into: &html)
        reconnect(report, into: &html)
        skipped(report, into: &html)
        inbox(report, details, now: now, into: &html)
        rejected(details, into: &html)
        reconciles(report, into: &html)
        if let fleet = report.fleet { leases(fleet, into: &html) }
        runs(report, into: &html)
        html.raw("</body></html>\n")
        return html.text
    }

    private static func freshness(_ report: StatusReport, _ details: StatusDetails, into html: inout HTML) {
        html.section("freshness", "Freshness per account and resource")
        if report.resources.isEmpty {
            html.element("p", "Nothing synced yet: run understory-sync sync.")
        } else {
            html.table(
                ["account", "resource", "last success", "stale", "watermark", "rows", "rejected", "last \(StatusDetails.runsPerResource) runs", "last error"],
                numeric: [5, 6],
                rows: report.resources.map { item in
                    [
                        .text(item.companyID), .text(item.resource), .text(item.lastSuccessAt.map(time) ?? "never"),
                        .classed(item.staleSeconds.map(age) ?? "-", (item.staleSeconds ?? .max) > 7200 ? "bad" : "ok"),
                        .text(item.watermark.map(time) ?? "-"), .text("\(item.rows)"),
                        .classed("\(item.rejectedItems)", item.rejectedItems > 0 ? "warn" : "ok"),
                        .strip(details.recentRuns[StatusDetails.key(companyID: item.companyID, resource: item.resource)] ?? []),
                        .classed(item.lastError ?? "", "err"),
                    ]
                }
            )
        }
        html.close("section")
    }

    private static func reconnect(_ report: StatusReport, into html: inout HTML) {
        let reconnect = report.accounts.filter { $0.status == .needsReconnect }
        html.section("reconnect", "Accounts that need reconnecting")
        if reconnect.isEmpty {
            html.element("p", "None.", class: "ok")
        } else {
            html.table(
                ["account", "name", "since", "reason", "fix"], numeric: [],
                rows: reconnect.map { account in
                    [
                        .text(account.companyID), .text(account.companyName ?? ""), .text(time(account.statusChangedAt)),
                        .classed(account.statusReason ?? "", "err"), .code("understory-sync accounts connect"),
                    ]
                }
            )
        }
        html.close("section")
    }

    /// Resources the last run skipped because the key lacks their scope, with the scope to tick.
    private static func skipped(_ report: StatusReport, into html: inout HTML) {
        let skipped = report.resources.filter { $0.skippedScope != nil }
        html.section("skipped", "Resources skipped for a missing scope")
        if skipped.isEmpty {
            html.element("p", "None.", class: "ok")
        } else {
            html.table(
                ["account", "resource", "scope to tick", "since", "why"], numeric: [],
                rows: skipped.map { item in
                    [
                        .text(item.companyID), .text(item.resource), .code(item.skippedScope ?? ""),
                        .text(item.skippedAt.map(time) ?? "-"), .classed(item.skippedReason ?? "", "warn"),
                    ]
                }
            )
        }
        html.close("section")
    }

    private static func inbox(_ report: StatusReport, _ details: StatusDetails, now: Date, into html: inout HTML) {
        let inbox = report.webhookInbox
        html.section("inbox", "Webhook inbox")
        html.table(
            ["pending", "oldest pending", "parked", "processed (7 days)"], numeric: [0, 2, 3],
            rows: [[
                .text("\(inbox.pending)"), .text(inbox.oldestPendingReceivedAt.map { age(Int(now.timeIntervalSince($0))) } ?? "-"),
                .classed("\(inbox.parked)", inbox.parked > 0 ? "bad" : "ok"), .text("\(inbox.processed)"),
            ]]
        )
        if !details.parked.isEmpty {
            html.element("h3", "Parked deliveries (newest first)")
            html.table(
                ["account", "event", "item", "received", "attempts", "error"], numeric: [4],
                rows: details.parked.map { delivery in
                    [
                        .text(delivery.companyID), .text(delivery.eventType),
                        .text([delivery.resource, delivery.resourceID].compactMap { $0 }.joined(separator: " ")), .text(time(delivery.receivedAt)),
                        .text("\(delivery.attempts)"), .classed(delivery.lastError ?? "", "err"),
                    ]
                }
            )
        }
        html.close("section")
    }

    private static func rejected(_ details: StatusDetails, into html: inout HTML) {
        html.section("rejected", "Rejected items (unresolved)")
        if details.rejected.isEmpty {
            html.element("p", "None.", class: "ok")
        } else {
            html.table(
                ["account", "resource", "id", "reason", "first seen", "last seen"], numeric: [],
                rows: details.rejected.map { item in
                    [
                        .text(item.companyID), .text(item.resource), .text(item.itemID ?? "(no id)"), .classed(item.reason, "err"),
                        .text(time(item.firstSeenAt)), .text(time(item.lastSeenAt)),
                    ]
                }
            )
        }
        html.close("section")
    }

    private static func reconciles(_ report: StatusReport, into html: inout HTML) {
        html.section("reconcile", "Last reconcile")
        if report.lastReconciles.isEmpty {
            html.element("p", "No reconcile has run yet.")
        }
        for reconcile in report.lastReconciles {
            let run = reconcile.run
            html.element(
                "p", "\(reconcile.companyID ?? "all accounts"): run \(run.id) \(run.status), started \(time(run.startedAt))\(run.error.map { " — \($0)" } ?? "")"
            )
            html.table(
                ["resource", "rows repaired (missing)", "rows repaired (stale)", "deletions confirmed", "children fixed"], numeric: [1, 2, 3, 4],
                rows: reconcile.drift.sorted { $0.key < $1.key }.map { resource, drift in
                    [
                        .text(resource), .text("\(drift.missing ?? 0)"), .text("\(drift.stale ?? 0)"), .text("\(drift.deleted ?? 0)"),
                        .text(drift.childrenFixed.map(String.init) ?? "-"),
                    ]
                }
            )
        }
        html.close("section")
    }

    private static func leases(_ fleet: FleetStatus, into html: inout HTML) {
        html.section("leases", "Workers and leases")
        html.element("p", "\(fleet.accounts.count) accounts: \(fleet.due) due, \(fleet.overdue) overdue, \(fleet.leased) leased, \(fleet.failing) failing")
        html.table(
            ["account", "status", "held by", "lease until", "next sync", "last success", "failures", "last failure"], numeric: [6],
            rows: fleet.accounts.map { account in
                [
                    .text(account.companyID), .text(account.status), .text(account.leaseOwner ?? "-"), .text(account.leaseExpiresAt.map(time) ?? "-"),
                    .text(time(account.nextSyncAt)), .text(account.lastSuccessAt.map(time) ?? "never"), .text("\(account.consecutiveFailures)"),
                    .classed(account.lastFailure ?? "", "err"),
                ]
            }
        )
        html.close("section")
    }

    private static func runs(_ report: StatusReport, into html: inout HTML) {
        html.section("runs", "Runs")
        var runs = report.runningRuns.map { ($0, "running") }
        if let last = report.lastRun { runs.append((last, "last")) }
        html.table(
            ["run", "command", "status", "exit", "started", "finished", "error"], numeric: [0, 3],
            rows: runs.map { run, _ in
                [
                    .text("\(run.id)"), .text(run.command), .classed(run.status, run.status == "succeeded" ? "ok" : run.status == "running" ? "warn" : "bad"),
                    .classed(run.exitStatus.map(String.init) ?? "-", (run.exitStatus ?? 0) == 0 ? "ok" : "bad"),
                    .text(time(run.startedAt)), .text(run.finishedAt.map(time) ?? "-"), .classed(run.error ?? "", "err"),
                ]
            }
        )
        for scheduler in report.schedulers {
            html.element("p", "scheduler \(scheduler.host) pid \(scheduler.pid), cron \(scheduler.cron) (\(scheduler.timezone)), next run \(scheduler.nextFireAt.map(time) ?? "-")")
        }
        html.close("section")
    }

    static func time(_ date: Date) -> String { StatusFormat.time(date) }

    static func age(_ seconds: Int) -> String { StatusFormat.age(seconds) }
}

/// A small HTML builder: text is always escaped; only the page's fixed markup is written raw.
struct HTML {
    enum Cell {
        case text(String)
        case classed(String, String)
        case code(String)
        /// Runs as coloured marks, oldest first, each titled with its id, command, status, start and error.
        case strip([StatusDetails.RecentRun])
    }

    private(set) var text = ""

    /// `&`, `<`, `>`, `"` and `'` as character references: safe in text and in quoted attributes.
    static func escape(_ value: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(value.utf8.count)
        for character in value.unicodeScalars {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.unicodeScalars.append(character)
            }
        }
        return escaped
    }

    mutating func raw(_ markup: String) { text += markup }

    mutating func element(_ tag: String, _ content: String, class className: String? = nil) {
        text += "<\(tag)\(className.map { " class=\"\(Self.escape($0))\"" } ?? "")>\(Self.escape(content))</\(tag)>\n"
    }

    mutating func section(_ id: String, _ title: String) {
        text += "<section id=\"\(Self.escape(id))\">\n"
        element("h2", title)
    }

    mutating func close(_ tag: String) { text += "</\(tag)>\n" }

    mutating func table(_ header: [String], numeric: Set<Int>, rows: [[Cell]]) {
        text += "<div class=\"scroll\"><table>\n<thead><tr>"
        for name in header { text += "<th>\(Self.escape(name))</th>" }
        text += "</tr></thead>\n<tbody>\n"
        for row in rows {
            text += "<tr>"
            for (index, cell) in row.enumerated() {
                let align = numeric.contains(index) ? "num" : nil
                switch cell {
                case .text(let value):
                    text += "<td\(align.map { " class=\"\($0)\"" } ?? "")>\(Self.escape(value))</td>"
                case .classed(let value, let className):
                    text += "<td class=\"\(Self.escape([align, className].compactMap { $0 }.joined(separator: " ")))\">\(Self.escape(value))</td>"
                case .code(let value):
                    text += "<td><code>\(Self.escape(value))</code></td>"
                case .strip(let runs):
                    text += "<td><span class=\"strip\">"
                    for run in runs {
                        let exit = run.exitStatus.map { " (exit \($0))" } ?? ""
                        let title = "run \(run.id) \(run.command) \(run.status)\(exit), \(StatusPage.time(run.startedAt))\(run.error.map { ": \($0)" } ?? "")"
                        // A non-zero exit status is written in its box, so it reads without hovering (phones).
                        let label = run.exitStatus.flatMap { $0 == 0 ? nil : String($0) } ?? ""
                        text += "<span class=\"run \(Self.escape(run.status))\" title=\"\(Self.escape(title))\">\(Self.escape(label))</span>"
                    }
                    text += "</span></td>"
                }
            }
            text += "</tr>\n"
        }
        text += "</tbody></table></div>\n"
    }
}
