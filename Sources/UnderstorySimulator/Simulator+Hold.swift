extension Simulator {
    /// From now on every `/v1` request whose path starts with `pathPrefix` waits (after admission,
    /// before it is answered) until ``releaseAPIRequests()``. Tests use it as a window that is open
    /// exactly as long as they need: a client process is known to sit in an API call
    /// (``heldAPIRequests`` > 0) and can be killed there, with no latency fault timed against the
    /// wall clock. A narrower prefix (`/v1/bookings`) lets the calls a run makes first (`/v1/me`) through.
    public func holdAPIRequests(pathPrefix: String = "/v1/") {
        self.runtime.withLock { $0.hold = APIHold(path: pathPrefix, exact: false, passing: 0) }
    }

    /// From now on `/v1` requests to exactly `path` wait until ``releaseAPIRequests()``, once the
    /// first `passing` of them went through: `holdAPIRequests(path: "/v1/orders", passing: 2)` lets a
    /// run read two pages of orders (their children, under `/v1/orders/ID/…`, are not held) and holds
    /// it at the request for the third, so a test can stop it between committed batches.
    public func holdAPIRequests(path: String, passing: Int) {
        self.runtime.withLock { $0.hold = APIHold(path: path, exact: true, passing: passing) }
    }

    /// Lets every held `/v1` request go on and stops holding new ones.
    public func releaseAPIRequests() {
        let held = self.runtime.withLock { runtime in
            runtime.hold = nil
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
                guard runtime.hold?.holds(path) == true else { return true }
                runtime.heldRequests.append(continuation)
                return false
            }
            if proceed { continuation.resume() }
        }
    }
}

/// Which `/v1` requests wait for ``Simulator/releaseAPIRequests()``.
struct APIHold: Sendable {
    /// A path prefix, or the exact path when `exact`.
    var path: String
    var exact: Bool
    /// Matching requests still let through before the hold begins.
    var passing: Int

    /// Whether a request to `requestPath` waits; counts it against `passing` when it matches.
    mutating func holds(_ requestPath: String) -> Bool {
        guard exact ? requestPath == path : requestPath.hasPrefix(path) else { return false }
        guard passing <= 0 else {
            passing -= 1
            return false
        }
        return true
    }
}
