import Foundation
import PostgresClient
import UnderstoryAPI

/// Writes `understory.sync_runs`: one row per run, opened at the start and closed at the end.
///
/// A live run holds the advisory lock `understory-sync:run:<id>` on its control connection, so a
/// later run can tell a crashed run (lock free) from a running one (lock held) on any host, and
/// marks the crashed ones `abandoned`.
struct RunLog {
    let connection: PostgresConnection

    enum Status: String, Sendable { case running, succeeded, failed, interrupted, abandoned }

    static func lockName(_ runID: Int64) -> String { "understory-sync:run:\(runID)" }

    /// Inserts the run row and takes its liveness lock. Returns the run id.
    ///
    /// Both happen in one transaction: the (session-level) lock is held before the row commits,
    /// so ``markAbandonedRuns()`` elsewhere never sees this run's row without its lock and can
    /// never mark a live run abandoned.
    func start(command: String, arguments: [String: String], companyID: String?) async throws -> Int64 {
        let json = String(decoding: try JSONEncoder.sorted.encode(arguments), as: UTF8.self)
        return try await connection.withTransaction { connection in
            let row = try await connection.execute(
                """
                INSERT INTO understory.sync_runs (company_id, command, arguments, host, pid, version)
                VALUES ($1, $2, $3::jsonb, $4, $5, $6) RETURNING id
                """,
                [companyID, command, PostgresJSON(json), ProcessInfo.processInfo.hostName, Int(ProcessInfo.processInfo.processIdentifier), SyncEngineVersion.current]
            ).rows[0]
            let runID = try row["id"].decode(Int64.self)
            // Nobody else can hold the lock of an id that is not yet visible.
            guard try await connection.tryAdvisoryLock(Self.lockName(runID)) else {
                throw SyncError(.lockHeld, "another session holds the liveness lock of new run \(runID); not starting")
            }
            return runID
        }
    }

    /// Closes the run row (with the exit status the command line ends with, ``ExitStatus``) and
    /// releases its liveness lock.
    func finish(_ runID: Int64, status: Status, exitStatus: Int32, counts: [Resource: ResourceCounts], http: RequestStatistics, error: String?) async throws {
        var document = [String: RunCounts]()
        for (resource, value) in counts { document[resource.rawValue] = .resource(value) }
        document["http"] = .http(requests: http.requests, retries: http.retries, rateLimited: http.rateLimited)
        let json = String(decoding: try JSONEncoder.sorted.encode(document), as: UTF8.self)
        try await connection.execute(
            "UPDATE understory.sync_runs SET finished_at = now(), status = $2, counts = $3::jsonb, error = $4, exit_status = $5 WHERE id = $1",
            [runID, status.rawValue, PostgresJSON(json), error, Int(exitStatus)]
        )
        try await connection.advisoryUnlock(Self.lockName(runID))
    }

    /// Marks runs still `running` whose process is gone as `abandoned`. Returns their ids.
    @discardableResult
    func markAbandonedRuns() async throws -> [Int64] {
        let running = try await connection.execute("SELECT id FROM understory.sync_runs WHERE status = 'running' ORDER BY id")
        var abandoned = [Int64]()
        for row in running.rows {
            let id = try row["id"].decode(Int64.self)
            guard try await connection.tryAdvisoryLock(Self.lockName(id)) else { continue }
            try await connection.execute(
                """
                UPDATE understory.sync_runs SET status = 'abandoned', finished_at = now(),
                       error = coalesce(error, 'the process ended without finishing the run (killed or crashed); its last committed pages are kept')
                WHERE id = $1 AND status = 'running'
                """,
                [id]
            )
            try await connection.advisoryUnlock(Self.lockName(id))
            abandoned.append(id)
        }
        return abandoned
    }
}

/// One entry of `sync_runs.counts`: a resource's counts, or the run's HTTP totals under "http".
enum RunCounts: Encodable {
    case resource(ResourceCounts)
    case http(requests: Int, retries: Int, rateLimited: Int)

    func encode(to encoder: any Encoder) throws {
        switch self {
        case .resource(let counts):
            try counts.encode(to: encoder)
        case .http(let requests, let retries, let rateLimited):
            var container = encoder.singleValueContainer()
            try container.encode(["requests": requests, "retries": retries, "rate_limited": rateLimited])
        }
    }
}

extension JSONEncoder {
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}

/// The version string recorded in `sync_runs` and sent as `User-Agent`.
public enum SyncEngineVersion {
    public static let current = "0.1.0"
}
