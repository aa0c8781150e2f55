import Foundation
import Logging
import PostgresClient
import Synchronization
import UnderstoryAPI

/// Connections of finished slices, waiting for the next slice. A connection goes back only after
/// its slice committed (it is idle, outside any transaction); one that failed is closed instead.
final class IdleConnections: Sendable {
    private let connections = Mutex<[PostgresConnection]>([])

    func take() -> PostgresConnection? { connections.withLock { $0.popLast() } }
    func put(_ connection: PostgresConnection) { connections.withLock { $0.append(connection) } }
    func drain() -> [PostgresConnection] { connections.withLock { list in defer { list.removeAll() }; return list } }
}

/// A backfill window cut into slices. Slice bounds depend only on the window, so re-running the
/// same backfill finds the slices it already finished in `understory.backfill_slices`.
public struct BackfillWindow: Sendable, Hashable {
    public var from: Timestamp
    public var to: Timestamp

    public init(from: Timestamp, to: Timestamp) throws {
        guard from < to else {
            throw SyncError(.invalidArguments, "backfill window is empty: --from \(from) must be before --to \(to)")
        }
        self.from = from
        self.to = to
    }

    /// Slices of one day (shorter at the end); a window under a day is cut into 24 hour-slices
    /// so small windows still fetch concurrently.
    public var slices: [Slice] {
        let span = to.secondsSinceEpoch - from.secondsSinceEpoch
        let step: Int64 = span > 86_400 ? 86_400 : max(1, (span + 23) / 24)
        var result = [Slice]()
        var start = from
        while start < to {
            let endSeconds = start.secondsSinceEpoch + step
            let end = min(Timestamp(secondsSinceEpoch: endSeconds, nanoseconds: start.nanoseconds), to)
            result.append(Slice(from: start, to: end))
            start = end
        }
        return result
    }

    /// What a bookings or orders slice asks the API for. The API does not document whether its
    /// `from`/`to` include their instant, so each slice's `to` reaches one second into the next
    /// slice: adjacent slices overlap by a second (upserts are idempotent) and a record created
    /// exactly on a boundary is read whichever way the API counts. The window's own end stays.
    public func request(for slice: Slice) -> Slice {
        guard slice.to < to else { return slice }
        let overlapping = Timestamp(secondsSinceEpoch: slice.to.secondsSinceEpoch + 1, nanoseconds: slice.to.nanoseconds)
        return Slice(from: slice.from, to: min(overlapping, to))
    }

    public struct Slice: Sendable, Hashable, CustomStringConvertible {
        public var from: Timestamp
        public var to: Timestamp
        public var description: String { "\(from.rfc3339)…\(to.rfc3339)" }
    }
}

/// Backfill: reload a creation-time window (bookings, orders) or a start-time window (events),
/// slice by slice, several slices at once. Each slice's pages load like a sync's, and the slice is
/// recorded as done in the transaction of its last page. The nightly watermark is never moved.
enum BackfillPlan {
    struct Result: Sendable {
        var counts = ResourceCounts()
        var slicesDone = 0
        var slicesSkipped = 0
    }

    /// - Parameter force: load every slice again, also those an earlier backfill finished.
    static func run(
        _ context: PlanContext, resource: Resource, window: BackfillWindow, concurrency: Int, force: Bool = false,
        connect: @escaping @Sendable () async throws -> PostgresConnection
    ) async throws -> Result {
        guard let load = resource.plans.backfill else {
            throw SyncError(.invalidArguments, "\(resource) have no time filter; use `sync --resource \(resource)` (it always reads them all)")
        }
        let done = force ? [] : try await finishedSlices(context, resource: resource, window: window)
        let pending = window.slices.filter { !done.contains($0) }
        var result = Result()
        result.slicesSkipped = window.slices.count - pending.count
        if result.slicesSkipped > 0 {
            context.logger.info("resuming backfill", metadata: ["slices_done": "\(result.slicesSkipped)", "slices_left": "\(pending.count)"])
        }
        // At most `concurrency` connections, each reused by the slices that follow on it (a new
        // connection per slice paid authentication, a fresh backend and its staging tables every time).
        let idle = IdleConnections()
        let sliceCounts: [ResourceCounts]
        do {
            sliceCounts = try await boundedConcurrentMap(pending, limit: concurrency) { slice in
                let reused = idle.take()
                let connection = if let reused { reused } else { try await connect() }
                do {
                    var logger = context.logger
                    logger[metadataKey: "slice"] = "\(slice)"
                    let sliceContext = PlanContext(
                        client: context.client, connection: connection, companyID: context.companyID, runID: context.runID,
                        options: context.options, logger: logger, progress: context.progress
                    )
                    let counts = try await load(sliceContext, slice, window.request(for: slice))
                    idle.put(connection)
                    return counts
                } catch {
                    await connection.close()
                    throw error
                }
            }
        } catch {
            for connection in idle.drain() { await connection.close() }
            throw error
        }
        for connection in idle.drain() { await connection.close() }
        for counts in sliceCounts {
            result.counts = result.counts + counts
            result.slicesDone += 1
        }
        return result
    }

    /// Loads `slice`, asking the API for `request` (bookings, orders: the slice plus the overlap).
    static func load<Item>(
        _ declaration: SyncedResource<Item>, _ context: PlanContext, slice: BackfillWindow.Slice, request: BackfillWindow.Slice
    ) async throws -> ResourceCounts {
        let resource = declaration.resource
        let client = context.client
        let companyID = context.companyID
        let runID = context.runID
        let record: (PostgresConnection, Int) async throws -> Void = { connection, records in
            try await connection.execute(
                """
                INSERT INTO understory.backfill_slices (company_id, resource, slice_from, slice_to, records, run_id)
                VALUES ($1, $2, $3, $4, $5, $6)
                ON CONFLICT (company_id, resource, slice_from, slice_to) DO UPDATE SET records = excluded.records, completed_at = now(), run_id = excluded.run_id
                """,
                [companyID, resource.rawValue, slice.from.rfc3339, slice.to.rfc3339, records, runID]
            )
        }
        let complete: PageLoader<Item>.Stages = .init(complete: { try await record($0, $1.seenCount) })
        switch declaration.traversal {
        case .updatedAt(let list):
            let query = ListQuery(limit: context.options.pageSize, from: request.from, to: request.to, sort: .createdAscending)
            return try await declaration.loader(context, pages: { list(client, query) }, rechecksRejected: false).run(complete)
        case .startWindow(let list):
            let from = LocalDateTime(utcWallTimeOf: slice.from), to = LocalDateTime(utcWallTimeOf: slice.to)
            let limit = Traversal<Item>.windowPageSize(context.options)
            return try await declaration.loader(context, pages: { list(client, from, to, limit) }, rechecksRejected: false).run(complete)
        case .fullList:
            throw SyncError(.invalidArguments, "\(resource) cannot be backfilled")
        }
    }

    static func finishedSlices(_ context: PlanContext, resource: Resource, window: BackfillWindow) async throws -> Set<BackfillWindow.Slice> {
        let rows = try await context.connection.execute(
            """
            SELECT to_char(slice_from AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS f,
                   to_char(slice_to AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS t
            FROM understory.backfill_slices
            WHERE company_id = $1 AND resource = $2 AND slice_from >= $3 AND slice_to <= $4
            """,
            [context.companyID, resource.rawValue, window.from.rfc3339, window.to.rfc3339]
        ).rows
        var slices = Set<BackfillWindow.Slice>()
        for row in rows {
            guard let from = row["f"].string.flatMap({ Timestamp(rfc3339: $0) }),
                  let to = row["t"].string.flatMap({ Timestamp(rfc3339: $0) }) else { continue }
            slices.insert(BackfillWindow.Slice(from: from, to: to))
        }
        return slices
    }
}
