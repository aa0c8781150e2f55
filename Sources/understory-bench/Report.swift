import Foundation

/// Prints the tables of each section and the targets met or missed.
struct Report {
    var targets = Table("Targets", ["target", "measured", "limit", "met"])

    static func machine() -> String {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let memory = Double(ProcessInfo.processInfo.physicalMemory) / 1_073_741_824
        return "\(cores) cores, \(Format.fixed(memory, 1)) GiB, \(ProcessInfo.processInfo.operatingSystemVersionString)"
    }

    mutating func target(_ name: String, _ measured: String, _ limit: String, _ met: Bool) {
        targets.add(name, measured, limit, met ? "yes" : "**no**")
    }

    static func fullSync(_ result: FullSyncResult, _ ceilings: CeilingResult?) {
        var table = Table("1. Full sync (\(result.dataset))", ["what", "wall", "records", "records/s", "requests", "peak RSS"])
        table.add(
            "understory-sync sync", Format.seconds(result.run.seconds),
            "\(Format.int(result.records)) + \(Format.int(result.childRows)) child rows",
            Format.int(Int(result.recordsPerSecond)), Format.int(result.requests), Format.megabytes(result.run.peakRSSBytes)
        )
        if let ceilings {
            table.add(
                "fetch ceiling (GET every page, bodies discarded)", Format.seconds(ceilings.fetch.seconds), "\(Format.megabytes(ceilings.fetchBytes)) of JSON",
                Format.int(Int(Double(result.records) / ceilings.fetch.seconds)), Format.int(ceilings.fetchRequests), Format.megabytes(ceilings.fetch.peakRSSBytes)
            )
            table.add(
                "load ceiling (psql \\copy of the stored rows)", Format.seconds(ceilings.loadSeconds), "\(Format.int(ceilings.loadRows)) rows (\(Format.megabytes(ceilings.loadBytes)))",
                Format.int(Int(Double(ceilings.loadRows) / ceilings.loadSeconds)) + " rows/s", "", ""
            )
        }
        table.print()
        if let ceilings {
            emit("")
            emit("sync wall ÷ max(fetch, load) = \(Format.seconds(result.run.seconds)) ÷ \(Format.seconds(ceilings.ceiling)) = **\(Format.ratio(result.run.seconds / ceilings.ceiling))**")
        }
    }

    /// One sync's CPU next to the HTTP floor's for the same URLs.
    struct CPUComparison {
        var name: String
        var run: ChildRun
        var requests: Int
        var rows: Int
        var floor: ChildRun

        var perRequest: Double { run.cpuSeconds / Double(max(requests, 1)) }
        var floorPerRequest: Double { floor.cpuSeconds / Double(max(requests, 1)) }
        var ratio: Double { floorPerRequest > 0 ? perRequest / floorPerRequest : .infinity }
    }

    static func cpu(_ comparisons: [CPUComparison]) {
        var table = Table(
            "CPU per request: understory-sync against the HTTP floor (a bare AsyncHTTPClient loop GETting the same URLs at the same concurrency, bodies only counted)",
            ["run", "requests", "sync CPU (user+sys)", "CPU / request", "CPU / stored row", "floor CPU", "floor CPU / request", "sync ÷ floor"]
        )
        for c in comparisons {
            table.add(
                c.name, Format.int(c.requests), Format.seconds(c.run.cpuSeconds), Format.fixed(c.perRequest * 1000, 3) + " ms",
                c.rows > 0 ? Format.fixed(c.run.cpuSeconds / Double(c.rows) * 1_000_000, 1) + " µs" : "",
                Format.seconds(c.floor.cpuSeconds), Format.fixed(c.floorPerRequest * 1000, 3) + " ms", "**\(Format.ratio(c.ratio))**"
            )
        }
        table.print()
    }

    static func incremental(_ result: IncrementalResult) -> [(String, Int, Int)] {
        var table = Table("3. Incremental sync after 1 % changed (wall \(Format.seconds(result.run.seconds)), peak RSS \(Format.megabytes(result.run.peakRSSBytes)))", ["resource", "changed", "requests", "limit (changed/100 + 3)"])
        var checks: [(String, Int, Int)] = []
        for resource in ["bookings", "orders", "events", "experiences"] {
            let changed = result.changed[resource] ?? 0
            let requests = result.requests[resource] ?? 0
            let limit = changed / 100 + 3
            table.add(resource, Format.int(changed), Format.int(requests), Format.int(limit))
            checks.append((resource, requests, limit))
        }
        let children = result.requests["order children"] ?? 0
        // Three calls per changed order: line items, refunds, transactions.
        table.add("order children", "\(Format.int(result.changedOrders)) orders", Format.int(children), "\(Format.int(3 * result.changedOrders)) (three per changed order)")
        checks.append(("order children", children, 3 * result.changedOrders))
        let tickets = result.requests["booking tickets"] ?? 0, changedBookings = result.changed["bookings"] ?? 0
        table.add("booking tickets", "\(Format.int(changedBookings)) bookings", Format.int(tickets), "\(Format.int(changedBookings)) (one per changed booking)")
        checks.append(("booking tickets", tickets, changedBookings))
        table.print()
        return checks
    }

    static func backfill(_ results: [BackfillResult], days: Int) {
        let base = results.first { $0.concurrency == 1 && $0.run.status == 0 }?.run.seconds
        var table = Table("4. Backfill of \(days) days of bookings, 50 ms added to every request", ["concurrency", "wall", "speed-up over 1", "requests", "429s", "records", "note"])
        for result in results {
            table.add(
                "\(result.concurrency)", Format.seconds(result.run.seconds), base.map { Format.ratio($0 / result.run.seconds) } ?? "",
                Format.int(result.requests), Format.int(result.rateLimited), Format.int(result.records), result.note
            )
        }
        table.print()
    }

    static func scale(_ results: [(Double, FullSyncResult)]) {
        let base = results.first
        var table = Table("5. Scale: full sync", ["scale", "records", "wall", "s per 100k records", "records/s", "peak RSS"])
        for (factor, result) in results {
            table.add(
                factor == 1 ? "1×" : (factor == 0.5 ? "½" : (factor == 0.25 ? "¼" : Format.fixed(factor, 2))),
                Format.int(result.records), Format.seconds(result.run.seconds),
                Format.fixed(result.run.seconds / Double(result.records) * 100_000, 2), Format.int(Int(result.recordsPerSecond)),
                Format.megabytes(result.run.peakRSSBytes)
            )
        }
        table.print()
        _ = base
    }
}
