extension Simulator {
    /// From now on the answer to a `/v1` request whose path matches `pattern` is computed when the
    /// request arrives — the data as it is then — and then waits, unsent, until
    /// ``releaseHeldAnswers()``: a page fetched before a change and delivered after it (a slow
    /// list page racing a webhook). In `pattern`, `*` stands for one path segment
    /// (`/v1/bookings/*/tickets`); anything else must match exactly. The first `passing` matching
    /// requests go through; then at most `count` answers are held (nil: every one), and later
    /// matching requests go through again.
    ///
    /// Unlike ``holdAPIRequests(path:passing:)``, which holds a request before it is answered
    /// (the answer reflects the data at the release), this holds an answer already made.
    public func holdAnswers(path pattern: String, passing: Int = 0, count: Int? = nil) {
        self.runtime.withLock { $0.answerHold = AnswerHold(pattern: pattern, passing: passing, remaining: count) }
    }

    /// Sends every held answer and stops holding new ones. Returns how many were held.
    @discardableResult
    public func releaseHeldAnswers() -> Int {
        let held = self.runtime.withLock { runtime in
            runtime.answerHold = nil
            defer { runtime.heldAnswers = [] }
            return runtime.heldAnswers
        }
        for answer in held { answer.resume() }
        return held.count
    }

    /// How many answers are waiting for ``releaseHeldAnswers()`` now.
    public var heldAnswers: Int {
        self.runtime.withLock { $0.heldAnswers.count }
    }

    /// Returns at once unless answers to `path` are held; then waits for the release.
    func waitWhileAnswerHeld(path: String) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let proceed = self.runtime.withLock { runtime in
                guard runtime.answerHold?.holds(path) == true else { return true }
                runtime.heldAnswers.append(continuation)
                return false
            }
            if proceed { continuation.resume() }
        }
    }
}

/// Which `/v1` answers wait for ``Simulator/releaseHeldAnswers()``.
struct AnswerHold: Sendable {
    /// Path segments; `*` matches any one segment.
    var pattern: String
    /// Matching requests still let through before the hold begins.
    var passing: Int
    /// Answers still to hold (nil: no limit).
    var remaining: Int?

    /// Whether the answer to `path` waits; counts it when it matches.
    mutating func holds(_ path: String) -> Bool {
        guard Self.matches(pattern, path) else { return false }
        guard passing <= 0 else {
            passing -= 1
            return false
        }
        guard remaining.map({ $0 > 0 }) ?? true else { return false }
        remaining = remaining.map { $0 - 1 }
        return true
    }

    static func matches(_ pattern: String, _ path: String) -> Bool {
        let want = pattern.split(separator: "/", omittingEmptySubsequences: false)
        let have = path.split(separator: "/", omittingEmptySubsequences: false)
        return want.count == have.count && zip(want, have).allSatisfy { $0 == "*" || $0 == $1 }
    }
}
