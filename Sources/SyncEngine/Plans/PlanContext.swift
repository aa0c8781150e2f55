import Logging
import PostgresClient
import UnderstoryAPI

/// Everything one resource's sync needs: the API, its own database connection, the account and the run.
struct PlanContext: Sendable {
    /// The API, and the run's time source (`client.clock`): its `wallNow` is the events window's
    /// "today" and the horizon beyond which an `updated_at` counts as future-dated.
    let client: UnderstoryClient
    let connection: PostgresConnection
    let companyID: String
    let runID: Int64
    let options: SyncOptions
    let logger: Logger
    let progress: ProgressReporter?

    var loader: BatchLoader { BatchLoader(connection: connection, runID: runID) }
    var watermarks: WatermarkStore { WatermarkStore(connection: connection) }

    /// Records a finished traversal of `resource` (its newest `updated_at` as the watermark) in the
    /// transaction of its last batch.
    func recordCompletion(
        _ resource: Resource, fullPass: Bool, on connection: PostgresConnection, newestUpdatedAt: Timestamp?
    ) async throws {
        try await WatermarkStore(connection: connection).recordSuccess(
            companyID: companyID, resource: resource, watermark: newestUpdatedAt, fullPass: fullPass, runID: runID
        )
    }

    /// The page loader's completion hook that records the traversal with ``recordCompletion``.
    func completion<Item: SyncedRecord>(
        _ resource: Resource, fullPass: Bool
    ) -> (PostgresConnection, PageLoader<Item>.Observations) async throws -> Void {
        { connection, observations in
            try await recordCompletion(resource, fullPass: fullPass, on: connection, newestUpdatedAt: observations.newestUpdatedAt)
        }
    }

    /// Runs one batch in a transaction; a dry run rolls it back instead of committing.
    func inBatchTransaction<T>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        options.dryRun ? try await connection.withRolledBackTransaction(body) : try await connection.withTransaction(body)
    }
}

/// Receives progress as batches commit (for the CLI's live progress line).
public protocol ProgressReporter: Sendable {
    func batchCommitted(resource: Resource, records: Int, pages: Int)
}
