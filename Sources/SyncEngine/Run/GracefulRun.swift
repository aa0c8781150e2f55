import Foundation
import Logging
import ServiceLifecycle

/// Runs one piece of work (a `sync` or a `backfill`) with SIGTERM and SIGINT turned into graceful
/// shutdown: fetching stops, the pages in hand are committed, the run is recorded as
/// `interrupted`, and the work returns normally instead of the process dying mid-transaction.
public enum GracefulRun {
    public static func run<T: Sendable>(logger: Logger, _ work: @escaping @Sendable () async throws -> T) async throws -> T {
        let outcome = OutcomeBox<T>()
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: OneShot(work: work, outcome: outcome), successTerminationBehavior: .gracefullyShutdownGroup)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
        guard let result = outcome.result else { throw SyncError(.interrupted, "stopped by a signal before the run started") }
        return try result.get()
    }
}

/// The work as a service that runs once; its outcome is kept, not thrown into the group.
private struct OneShot<T: Sendable>: Service {
    let work: @Sendable () async throws -> T
    let outcome: OutcomeBox<T>

    func run() async throws {
        do {
            outcome.result = .success(try await work())
        } catch {
            outcome.result = .failure(error)
        }
    }
}

private final class OutcomeBox<T: Sendable>: @unchecked Sendable {
    // Invariant: every access to `stored` holds `lock`.
    private let lock = NSLock()
    private var stored: Result<T, any Error>?
    var result: Result<T, any Error>? {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
