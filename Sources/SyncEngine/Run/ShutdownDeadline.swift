import ServiceLifecycle
import TimeSource
import UnderstoryAPI

/// Bounds how long one resource's work may go on after graceful shutdown (SIGTERM/SIGINT) began.
///
/// Graceful shutdown first asks nicely: fetching stops and the batch in hand commits. Work that
/// is still busy `grace` later — a statement waiting for a lock, a long statement, a retry wait
/// outside the page fetcher — is cancelled: task cancellation ends sleeps and HTTP requests and
/// cancels the running statement on the server (`PQcancel`), so the run ends `interrupted`
/// within seconds instead of whenever the lock or the API lets go.
enum ShutdownDeadline {
    static func run<T: Sendable>(
        resource: Resource, grace: Duration, clock: any TimeSource,
        _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await operation() }
            group.addTask {
                // Ends when graceful shutdown begins, or throws when the group is cancelled.
                try await gracefulShutdown()
                try await clock.sleep(for: grace)
                return nil
            }
            var deadlinePassed = false
            while let next = await group.nextResult() {
                switch next {
                case .success(let value?):
                    group.cancelAll()
                    return value
                case .success(nil):
                    deadlinePassed = true
                    group.cancelAll()
                case .failure(let error):
                    if deadlinePassed && !ResourceOutcome.isInterruption(error) {
                        throw SyncError(
                            .interrupted,
                            "stopped by a signal: \(resource) was still busy \(grace) after it and was cancelled; its open batch rolled back and the next run continues",
                            resource: resource, underlying: error
                        )
                    }
                    // The deadline task is cancelled when the work is done: not an error of the work.
                    if error is CancellationError, !deadlinePassed, group.isCancelled { continue }
                    group.cancelAll()
                    throw error
                }
            }
            throw CancellationError()
        }
    }
}
