import ArgumentParser
import Foundation
import Testing
import UnderstoryAPI

@testable import SyncEngine
@testable import understory_sync

/// Everything a command prints for people fits an 80-column terminal: `--help` of every command,
/// and the run summary, `status` and `accounts list` tables, rendered in-process with wide values
/// (the longest resource name, six-digit counts, long errors and notices).
@Suite("terminal output at 80 columns")
struct TerminalWidthTests {
    /// Every command by its path (`understory-sync accounts list`).
    static func commands(_ root: ParsableCommand.Type = UnderstorySync.self, path: String = "") -> [(path: String, type: ParsableCommand.Type)] {
        let own = path.isEmpty ? root._commandName : path + " " + root._commandName
        return [(own, root)] + root.configuration.subcommands.flatMap { commands($0, path: own) }
    }

    static func command(_ path: String) -> ParsableCommand.Type {
        commands().first { $0.path == path }?.type ?? UnderstorySync.self
    }

    static func overlong(_ lines: [String], width: Int = 80) -> [String] {
        lines.filter { $0.count > width }
    }

    @Test("every command's --help fits 80 columns", arguments: commands().map(\.path))
    func help(command: String) {
        let help = UnderstorySync.helpMessage(for: Self.command(command), columns: 80)
        #expect(Self.overlong(help.components(separatedBy: "\n")) == [])
    }

    /// ArgumentParser re-wraps discussion text to the terminal: a hard line break inside a line it
    /// wraps leaves a stub. So every discussion line either fits by itself (under 80 columns,
    /// a table's row) or is a whole paragraph (followed by a blank line or the end).
    @Test("no discussion has a hard line break inside text ArgumentParser wraps", arguments: commands().map(\.path))
    func discussion(command: String) {
        let lines = Self.command(command).configuration.discussion.components(separatedBy: "\n")
        for (index, line) in lines.enumerated() where line.count >= 80 {
            let endsParagraph = index + 1 == lines.count || lines[index + 1].trimmingCharacters(in: .whitespaces).isEmpty
            #expect(endsParagraph, "a hard break after: \(line)")
        }
    }

    @Test("the exit-status table is one aligned block: each status at the same column, continuations indented under its text")
    func exitStatusTable() {
        let help = UnderstorySync.helpMessage(for: UnderstorySync.self, columns: 80).components(separatedBy: "\n")
        guard let start = help.firstIndex(of: "Exit status:") else {
            Issue.record("no exit-status table in --help")
            return
        }
        let table = help[(start + 1)...].prefix { !$0.isEmpty }
        let statuses = table.filter { $0.range(of: #"^  \d+ +\S"#, options: .regularExpression) != nil }
        #expect(statuses.map { $0.split(separator: " ").first.map(String.init) ?? "" } == ["0", "64", "65", "69", "75", "77", "78", "1"])
        for line in table {
            #expect(line.hasPrefix("  ") && line.count <= 80)
            let isStatus = statuses.contains(line)
            #expect(isStatus || line.hasPrefix("      "), "a continuation not under its text: \(line)")
            if isStatus { #expect(line.dropFirst(2).prefix(4).allSatisfy { $0.isNumber || $0 == " " } && line.dropFirst(6).first != " ") }
        }
    }

    static let longError =
        "the API answered 503 Service Unavailable to GET /v1/orders?limit=100&sort=-updated_at after 8 attempts over 10 min; the retry budget is exhausted, try again later"

    static func counts(_ value: Int) -> ResourceCounts {
        var counts = ResourceCounts()
        (counts.inserted, counts.updated, counts.unchanged, counts.deleted) = (value, value, value, value)
        (counts.sanitized, counts.rejected, counts.pages, counts.childRows) = (value, value, value / 100, value * 3)
        return counts
    }

    @Test("the run summary fits 80 columns; a skip notice and a failure go below the tables")
    func runSummary() {
        let skip = "skipped: the key lacks marketing.read; to sync marketing-consents, tick marketing.read on the integration key and add it to UNDERSTORY_SCOPES (or leave it out with --skip-resource marketing-consents)"
        let summary = SyncRunner.Summary(
            runID: 123_456, companyID: "cmp_0123456789abcdef", counts: [.bookings: Self.counts(123_456), .experiences: Self.counts(12)],
            skipped: [.marketingConsents: skip], abandonedRuns: [17, 18], http: RequestStatistics(), duration: .seconds(61),
            dryRun: false, firstError: nil, errors: [.orders: SyncError(.invalidData, Self.longError)]
        )
        let lines = RunSummaryTable.render(summary).components(separatedBy: "\n")
        #expect(Self.overlong(lines) == [])
        let header = lines.firstIndex { $0.hasPrefix("resource") && $0.contains("inserted") } ?? 0
        let notice = lines.firstIndex { $0.hasPrefix("marketing-consents: skipped") } ?? -1
        let failure = lines.firstIndex { $0.hasPrefix("orders failed:") } ?? -1
        #expect(notice > header && failure > header)
        #expect(!lines.contains { $0.hasPrefix("resource") && $0.count > 78 }, "a resource column padded by a notice")
    }

    @Test("status fits 80 columns, last errors below the table")
    func status() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let resources = Resource.allCases.map { resource in
            StatusReport.ResourceStatus(
                companyID: "cmp_0123456789abcdef", resource: resource.rawValue, watermark: now, lastSuccessAt: now, lastFullPassAt: now,
                staleSeconds: 7_000, rows: 1_234_567, lastError: resource == .orders ? Self.longError : nil, lastErrorAt: now,
                rejectedItems: resource == .bookings ? 3 : 0
            )
        }
        let lines = Status.freshness(resources)
        #expect(Self.overlong(lines) == [])
        #expect(lines.contains { $0.hasPrefix("orders last error: the API answered 503") })
        let inbox = Status.render(WebhookInbox.Summary(pending: 123_456, parked: 12, processed: 1_234_567, oldestPendingReceivedAt: now), now: now)
        #expect(Self.overlong(inbox.components(separatedBy: "\n")) == [])
    }

    @Test("accounts list fits 80 columns (one block per account when a line would not), and so does it inside status")
    func accountsList() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let scopes = ["booking.read", "event.read", "experience.read", "marketing.read", "openid", "order.read", "webhook.read", "webhook.write"]
        let accounts = [
            Account(
                companyID: "cmp_0123456789abcdef", companyName: "Nordisk Fjordcruise & Kajakudlejning ApS", userID: "u1", email: "ops@example.com",
                clientID: "app", scopes: scopes, status: .active, statusReason: nil, statusChangedAt: now, tokenGeneration: 3,
                refreshTokenRotatedAt: now, connectedAt: now
            ),
            Account(
                companyID: "cmp_fedcba9876543210", companyName: nil, userID: nil, email: nil, clientID: "app", scopes: scopes,
                status: .needsReconnect, statusReason: "the refresh token was revoked (invalid_grant): run `understory-sync accounts connect` again",
                statusChangedAt: now, tokenGeneration: 1, refreshTokenRotatedAt: nil, connectedAt: now
            ),
        ]
        #expect(Self.overlong(AccountsList.table(accounts)) == [])
        #expect(Self.overlong(AccountsList.table(accounts, width: TextTable.columns - 2).map { "  " + $0 }) == [])
        #expect(AccountsList.table(accounts).contains { $0.contains("invalid_grant") })
    }

    @Test("wrapping keeps every word, in order, within the width")
    func wrap() {
        let text = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen"
        let lines = TextTable.wrap(text, lead: "numbers: ", indent: 4, width: 30)
        #expect(Self.overlong(lines, width: 30) == [])
        #expect(lines.joined(separator: " ").split(separator: " ").dropFirst().joined(separator: " ") == text)
        #expect(lines.dropFirst().allSatisfy { $0.hasPrefix("    ") && !$0.hasPrefix("     ") })
    }
}
