import ServiceLifecycle
import Synchronization
import TimeSource
import UnderstoryAPI

/// Runs `operation` until it returns, or until a graceful shutdown began and `grace` passed: then
/// the operation is cancelled and *not waited for* (it throws ``CancellationError``). For work
/// that may sit in a wait cancellation cannot reach (an API client's shared token refresh that
/// retries for minutes while the API is down), so that SIGTERM still ends `serve` promptly. The
/// abandoned work only holds what cancellation rolls back (an open transaction, an HTTP request).
func abandonAfterShutdown<T: Sendable>(
    grace: Duration, clock: any TimeSource, _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    let work = Task { try await operation() }
    let outcome = Once<Result<T, any Error>>()
    let timer = Task {
        try await gracefulShutdown()
        try await clock.sleep(for: grace)
        work.cancel()
        outcome.resolve(.failure(CancellationError()))
    }
    Task {
        do {
            outcome.resolve(.success(try await work.value))
        } catch {
            outcome.resolve(.failure(error))
        }
    }
    defer { timer.cancel() }
    return try await withTaskCancellationHandler {
        try await outcome.value.get()
    } onCancel: {
        work.cancel()
        outcome.resolve(.failure(CancellationError()))
    }
}

/// A value set once and awaited by one reader.
final class Once<Value: Sendable>: Sendable {
    private struct State {
        var value: Value?
        var waiter: CheckedContinuation<Value, Never>?
    }

    private let state = Mutex(State())

    func resolve(_ value: Value) {
        let waiter: CheckedContinuation<Value, Never>? = state.withLock { state in
            guard state.value == nil else { return nil }
            state.value = value
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: value)
    }

    var value: Value {
        get async {
            await withCheckedContinuation { continuation in
                let ready: Value? = state.withLock { state in
                    if let value = state.value { return value }
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        }
    }
}
