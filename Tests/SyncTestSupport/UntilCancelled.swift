/// Suspends until the calling task is cancelled, then throws `CancellationError`: the sleep of a
/// test clock on which time never passes by itself (only when the test moves it), so that whatever
/// waits on it waits until it is stopped.
public func untilCancelled() async throws -> Never {
    let (stream, continuation) = AsyncStream<Never>.makeStream()
    await withTaskCancellationHandler {
        for await _ in stream {}
    } onCancel: {
        continuation.finish()
    }
    throw CancellationError()
}
