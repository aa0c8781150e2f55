extension Simulator {
    /// From now on every `/v1` request whose path starts with `pathPrefix` waits (after admission,
    /// before it is answered) until ``releaseAPIRequests()``. Tests use it as a window that is open
    /// exactly as long as they need: a client process is known to sit in an API call
    /// (``heldAPIRequests`` > 0) and can be killed there, with no latency fault timed against the
    /// wall clock. A narrower prefix (`/v1/bookings`) lets the calls a run makes first (`/v1/me`) through.
    public func holdAPIRequests(pathPrefix: String = "/v1/") {
        self.runtime.withLock { $0.holdingPathPrefix = pathPrefix }
    }

    /// Lets every held `/v1` request go on and stops holding new ones.
    public func releaseAPIRequests() {
        let held = self.runtime.withLock { runtime in
            runtime.holdingPathPrefix = nil
            defer { runtime.heldRequests = [] }
            return runtime.heldRequests
        }
        for request in held { request.resume() }
    }

    /// How many `/v1` requests are waiting for ``releaseAPIRequests()`` now.
    public var heldAPIRequests: Int {
        self.runtime.withLock { $0.heldRequests.count }
    }

    /// Returns at once unless requests to `path` are held; then waits for the release.
    func waitWhileHeld(path: String) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let proceed = self.runtime.withLock { runtime in
                guard let prefix = runtime.holdingPathPrefix, path.hasPrefix(prefix) else { return true }
                runtime.heldRequests.append(continuation)
                return false
            }
            if proceed { continuation.resume() }
        }
    }
}
