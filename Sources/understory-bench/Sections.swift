import Foundation
import PostgresClient
import UnderstoryAPI
import UnderstorySimulator

/// Section 1: a first sync of the whole account, as its own process.
struct FullSyncResult: Sendable {
    var dataset: Dataset
    var run: ChildRun
    var records: Int
    var childRows: Int
    var requests: Int
    /// The `/v1/` URLs the sync requested (answered 200), for the HTTP floor.
    var targets: [String] = []

    var recordsPerSecond: Double { Double(records) / run.seconds }
}

/// Section 2: what fetching alone and loading alone cost for the same data.
struct CeilingResult: Sendable {
    var fetch: ChildRun
    var fetchRequests: Int
    var fetchBytes: Int
    var loadSeconds: Double
    var loadRows: Int
    var loadBytes: Int

    var ceiling: Double { max(fetch.seconds, loadSeconds) }
}

/// Section 3: one `sync` after 1 % of the records changed.
struct IncrementalResult: Sendable {
    var changed: [String: Int]
    var changedOrders: Int
    var requests: [String: Int]
    var run: ChildRun
    /// The `/v1/` URLs the sync requested (answered 200), for the HTTP floor.
    var targets: [String] = []
}

/// Section 4: one backfill at a given concurrency.
struct BackfillResult: Sendable {
    var concurrency: Int
    var run: ChildRun
    var requests: Int
    var rateLimited: Int
    var records: Int
    var note: String
}

enum Sections {
    static let dataTables = [
        "orders", "order_line_items", "order_refunds", "order_transactions", "bookings", "events", "event_sessions", "experiences",
    ]
    /// One group per resource (one connection each, as the sync loads them), parents before children.
    static let loadGroups = [
        ["orders", "order_line_items", "order_refunds", "order_transactions"], ["bookings"], ["events", "event_sessions"], ["experiences"],
    ]

    // MARK: 1. full sync

    /// `recording`: keep the URLs the sync requested (``FullSyncResult/targets``) for the HTTP floor.
    static func fullSync(_ world: BenchWorld, recording: Bool = false) async throws -> FullSyncResult {
        world.simulator.resetRequestCounts()
        if recording { world.simulator.recordRequests() }
        let run = try await world.sync(["sync"])
        let targets = recording ? world.simulator.recordedRequests() : []
        var records = 0
        for table in ["orders", "bookings", "events", "experiences"] { records += try await world.count(table) }
        var children = 0
        for table in ["order_line_items", "order_refunds", "order_transactions", "event_sessions"] { children += try await world.count(table) }
        let truth = world.simulator.truth()
        let served = truth[.orders].count + truth[.bookings].count + truth[.experiences].count
        guard records >= served else { throw BenchError("the sync stored \(records) records of \(served) served (orders, bookings, experiences, events in window)") }
        return FullSyncResult(dataset: world.dataset, run: run, records: records, childRows: children, requests: world.requestCount(), targets: targets)
    }

    // MARK: 2. ceilings

    /// The HTTP floor: `understory-bench http-floor` (its own process) GETs `targets` with a bare
    /// AsyncHTTPClient loop at the sync's concurrency; its CPU per request is the least possible.
    static func httpFloor(_ world: BenchWorld, targets: [String]) async throws -> ChildRun {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("understory-bench-\(getpid())-targets.txt")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(targets.joined(separator: "\n").utf8).write(to: file)
        let run = try await ChildProcess.run(try BinaryFolder.binary("understory-bench"), ["http-floor", "--targets", file.path], environment: world.environment)
        guard run.status == 0 else { throw BenchError("http-floor exited \(run.status): \(run.output.suffix(2000))") }
        return run
    }

    static func fetchCeiling(_ world: BenchWorld) async throws -> ChildRun {
        var arguments = ["fetch-ceiling"]
        var files: [URL] = []
        defer { for file in files { try? FileManager.default.removeItem(at: file) } }
        for (option, resource) in [("--order-ids", SimulatorResource.orders), ("--booking-ids", .bookings), ("--experience-ids", .experiences)] {
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("understory-bench-\(getpid())-\(resource.rawValue).txt")
            files.append(file)
            try Data(world.simulator.ids(resource).joined(separator: "\n").utf8).write(to: file)
            arguments += [option, file.path]
        }
        let run = try await ChildProcess.run(try BinaryFolder.binary("understory-bench"), arguments, environment: world.environment)
        guard run.status == 0 else { throw BenchError("fetch-ceiling exited \(run.status): \(run.output.suffix(2000))") }
        return run
    }

    static func ceilings(_ world: BenchWorld) async throws -> CeilingResult {
        world.simulator.resetRequestCounts()
        let fetch = try await fetchCeiling(world)
        let fetchRequests = world.requestCount()
        let bytes = fetch.output.split(separator: " ").first { $0.hasPrefix("bytes=") }.flatMap { Int($0.dropFirst(6).trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 0
        let (seconds, rows, fileBytes) = try await loadCeiling(world)
        return CeilingResult(fetch: fetch, fetchRequests: fetchRequests, fetchBytes: bytes, loadSeconds: seconds, loadRows: rows, loadBytes: fileBytes)
    }

    /// Exports what the sync stored, empties the tables, and times `psql \copy` of the files back
    /// into the same tables (same indexes): one psql per resource at once, as the sync's
    /// connections. Leaves the tables as the sync left them.
    static func loadCeiling(_ world: BenchWorld) async throws -> (seconds: Double, rows: Int, bytes: Int) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("understory-bench-\(getpid())-load")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var rows = 0, bytes = 0
        for table in dataTables {
            let file = folder.appendingPathComponent(table).path
            try await psql(world, "\\copy understory.\(table) TO '\(file)'")
            rows += try await world.count(table)
            bytes += (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
        }
        _ = try await world.execute("TRUNCATE " + dataTables.map { "understory." + $0 }.joined(separator: ", "))
        _ = try await world.execute("CHECKPOINT")
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for tables in loadGroups {
                group.addTask {
                    for table in tables {
                        try await psql(world, "\\copy understory.\(table) FROM '\(folder.appendingPathComponent(table).path)'")
                    }
                }
            }
            try await group.waitForAll()
        }
        let seconds = (ContinuousClock.now - start).seconds
        _ = try await world.execute("ANALYZE")
        return (seconds, rows, bytes)
    }

    static func psql(_ world: BenchWorld, _ command: String) async throws {
        let run = try await ChildProcess.run("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", world.databaseURL, "-c", command])
        guard run.status == 0 else { throw BenchError("psql \(command) exited \(run.status): \(run.output.suffix(1000))") }
    }

    // MARK: 3. incremental

    /// Changes 1 % of bookings, orders and events (mostly updates, some creates and cancels), then syncs.
    static func incremental(_ world: BenchWorld) async throws -> IncrementalResult {
        var changed: [String: Int] = [:]
        var changedOrders = 0
        let sizes: [(SimulatorResource, Int)] = [(.bookings, world.dataset.bookings), (.orders, world.dataset.orders), (.events, world.dataset.events)]
        for (resource, size) in sizes {
            let total = max(3, size / 100)
            let creates = max(1, total / 10), cancels = max(1, total / 10)
            let summary = world.simulator.mutate(MutationBatch(updates: total - creates - cancels, creates: creates, cancels: cancels, resources: [resource]))
            let ids = Set((summary.updated[resource] ?? []) + (summary.created[resource] ?? []) + (summary.cancelled[resource] ?? []))
            changed[resource.rawValue] = ids.count
            if resource == .orders { changedOrders = ids.count }
        }
        world.simulator.resetRequestCounts()
        world.simulator.recordRequests()
        let run = try await world.sync(["sync"])
        let targets = world.simulator.recordedRequests()
        return IncrementalResult(changed: changed, changedOrders: changedOrders, requests: world.requestsByResource(), run: run, targets: targets)
    }

    // MARK: 4. backfill under latency

    /// Backfills bookings created in the last `days` days with 50 ms added to every request.
    static func backfill(
        _ world: BenchWorld, days: Int, concurrency: Int, maxConcurrent: Int? = nil, note: String = ""
    ) async throws -> BackfillResult {
        _ = try await world.execute("TRUNCATE understory.bookings")
        _ = try await world.execute("DELETE FROM understory.backfill_slices")
        world.simulator.updateFaults { faults in
            faults.latency = .milliseconds(50)
            faults.maxConcurrentRequests = maxConcurrent
            faults.retryAfterSeconds = maxConcurrent == nil ? nil : 1
        }
        defer { world.simulator.setFaults(world.simulator.configuration.faults) }
        let anchor = world.simulator.configuration.anchor
        let to = Timestamp(anchor.addingTimeInterval(86_400)), from = Timestamp(anchor.addingTimeInterval(-Double(days) * 86_400))
        world.simulator.resetRequestCounts()
        // A failed run is a result here (e.g. 429s exhausting the retry budget), not the end of the bench.
        let run = try await world.syncAllowingFailure(
            ["backfill", "--resource", "bookings", "--from", from.rfc3339, "--to", to.rfc3339, "--concurrency", "\(concurrency)"]
        )
        var outcome = note
        if run.status != 0 {
            let reason = run.output.split(separator: "\n").last { $0.hasPrefix("understory-sync:") }.map(String.init) ?? "exit \(run.status)"
            outcome += (outcome.isEmpty ? "" : "; ") + "FAILED (exit \(run.status)): " + reason
        }
        return BackfillResult(
            concurrency: concurrency, run: run, requests: world.requestCount(), rateLimited: world.requestCount(status: 429),
            records: try await world.count("bookings"), note: outcome
        )
    }
}
