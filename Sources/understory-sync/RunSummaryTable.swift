import SyncEngine

/// The table printed at the end of `sync` and `backfill`.
enum RunSummaryTable {
    static func render(_ summary: SyncRunner.Summary) -> String {
        var lines = [String]()
        let seconds = Double(summary.duration.components.seconds) + Double(summary.duration.components.attoseconds) / 1e18
        let verdict = summary.dryRun ? "dry run (nothing committed)" : (summary.succeeded ? "succeeded" : "failed")
        let run = summary.runID.map { "run \($0)" } ?? "run"
        lines.append("\(run) \(verdict) in \(format(seconds)) s for company \(summary.companyID)")
        let header = ["resource", "inserted", "updated", "unchanged", "deleted", "sanitized", "rejected", "pages", "child rows", "records/s"]
        var rows = [header]
        for resource in Resource.allCases {
            if let counts = summary.counts[resource] {
                let rate = seconds > 0 ? Int(Double(counts.records) / seconds) : counts.records
                rows.append([resource.rawValue, "\(counts.inserted)", "\(counts.updated)", "\(counts.unchanged)", "\(counts.deleted)", "\(counts.sanitized)", "\(counts.rejected)", "\(counts.pages)", "\(counts.childRows)", "\(rate)"])
            } else if let failure = summary.failures[resource] {
                rows.append([resource.rawValue, "failed: \(failure)"])
            } else if let notice = summary.skipped[resource] {
                rows.append([resource.rawValue, notice])
            }
        }
        let widths = (0..<header.count).map { column in rows.map { $0.count > column ? $0[column].count : 0 }.max() ?? 0 }
        for row in rows {
            if row.count == 2 {
                lines.append(row[0].padding(toLength: widths[0], withPad: " ", startingAt: 0) + "  " + row[1])
                continue
            }
            lines.append(row.enumerated().map { index, cell in
                index == 0 ? cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[index] - cell.count) + cell
            }.joined(separator: "  "))
        }
        let http = summary.http
        lines.append("http: \(http.requests) requests, \(http.retries) retries, \(http.rateLimited) rate-limited (429)")
        let resolved = summary.counts.values.reduce(0) { $0 + $1.resolved }
        if resolved > 0 {
            lines.append("resolved: \(resolved) earlier rejected item\(resolved == 1 ? "" : "s") stored now (or gone from the API)")
        }
        if summary.rejectedItems > 0 {
            lines.append("rejected: \(summary.rejectedItems) item\(summary.rejectedItems == 1 ? "" : "s") could not be stored; see understory.rejected_items (fetched again by every run)")
        }
        if !summary.abandonedRuns.isEmpty {
            lines.append("note: earlier runs \(summary.abandonedRuns.map(String.init).joined(separator: ", ")) had died and were marked abandoned")
        }
        return lines.joined(separator: "\n")
    }

    static func format(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}
