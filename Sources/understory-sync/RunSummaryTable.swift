import SyncEngine

/// The tables printed at the end of `sync` and `backfill`: what each resource stored, then how it
/// was fetched; failed and skipped resources are named below them, not in their columns.
enum RunSummaryTable {
    static func render(_ summary: SyncRunner.Summary) -> String {
        var lines = [String]()
        let seconds = Double(summary.duration.components.seconds) + Double(summary.duration.components.attoseconds) / 1e18
        let verdict = summary.dryRun ? "dry run (nothing committed)" : (summary.succeeded ? "succeeded" : "failed")
        let run = summary.runID.map { "run \($0)" } ?? "run"
        lines += TextTable.wrap("\(run) \(verdict) in \(format(seconds)) s for company \(summary.companyID)")
        var stored = [["resource", "inserted", "updated", "unchanged", "deleted", "sanitized", "rejected"]]
        var fetched = [["resource", "pages", "child rows", "records/s"]]
        for resource in Resource.allCases {
            guard let counts = summary.counts[resource] else { continue }
            let rate = seconds > 0 ? Int(Double(counts.records) / seconds) : counts.records
            stored.append([
                resource.rawValue, "\(counts.inserted)", "\(counts.updated)", "\(counts.unchanged)", "\(counts.deleted)",
                "\(counts.sanitized)", "\(counts.rejected)",
            ])
            fetched.append([resource.rawValue, "\(counts.pages)", "\(counts.childRows)", "\(rate)"])
        }
        if stored.count > 1 {
            lines += TextTable.render(stored, rightAligned: [1, 2, 3, 4, 5, 6])
            lines += TextTable.render(fetched, rightAligned: [1, 2, 3])
        }
        lines += self.notices(summary)
        let http = summary.http
        lines.append("http: \(http.requests) requests, \(http.retries) retries, \(http.rateLimited) rate-limited (429)")
        let resolved = summary.counts.values.reduce(0) { $0 + $1.resolved }
        if resolved > 0 {
            lines += TextTable.wrap("resolved: \(resolved) earlier rejected item\(resolved == 1 ? "" : "s") stored now (or gone from the API)")
        }
        if summary.rejectedItems > 0 {
            let items = "\(summary.rejectedItems) item\(summary.rejectedItems == 1 ? "" : "s")"
            lines += TextTable.wrap("rejected: \(items) could not be stored; see understory.rejected_items (fetched again by every run)")
        }
        if !summary.abandonedRuns.isEmpty {
            let runs = summary.abandonedRuns.map(String.init).joined(separator: ", ")
            lines += TextTable.wrap("note: earlier runs \(runs) had died and were marked abandoned")
        }
        return lines.joined(separator: "\n")
    }

    /// One wrapped paragraph per resource that failed or was skipped without counts (a failure
    /// names its error; a skip says why, e.g. marketing consents without `marketing.read`).
    static func notices(_ summary: SyncRunner.Summary) -> [String] {
        var lines: [String] = []
        for resource in Resource.allCases where summary.counts[resource] == nil {
            if let failure = summary.failures[resource] {
                lines += TextTable.wrap(failure, lead: "\(resource.rawValue) failed: ")
            } else if let notice = summary.skipped[resource] {
                lines += TextTable.wrap(notice, lead: "\(resource.rawValue): ")
            }
        }
        return lines
    }

    static func format(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}
