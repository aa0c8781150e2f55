/// Runs jobs one at a time, in the order they ask: `schedule` runs its sync and its reconcile
/// through one of these, so a reconcile that fires during a sync waits for it (and the other way
/// round) instead of being refused by the resource locks and skipped.
public actor OneAtATime {
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    public init() {}

    /// Waits for the jobs before this one, then runs `job`.
    public func run<T: Sendable>(_ job: @Sendable () async -> T) async -> T {
        if busy {
            await withCheckedContinuation { waiting.append($0) }
        } else {
            busy = true
        }
        let value = await job()
        if waiting.isEmpty {
            busy = false
        } else {
            waiting.removeFirst().resume()
        }
        return value
    }
}
