/// How many API requests of one client may be in flight: unbounded in practice (`ceiling`) until
/// the API answers 429, then halved, and grown back by about one per round of successful
/// requests (additive increase, multiplicative decrease, as TCP does). So concurrent slices and
/// child fetches slow down to what the API accepts instead of each retrying on its own until the
/// retry budget runs out. Without 429s the gate never binds and changes nothing.
///
/// Several requests rejected together count as one signal: a 429 halves the limit only if its
/// request went out after the last decrease (each permit carries the generation it was issued in).
actor RateLimitGate {
    struct Permit: Sendable {
        var generation: Int
    }

    private let ceiling: Double
    private var limit: Double
    private var inFlight = 0
    private var generation = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(ceiling: Int = 1024) {
        self.ceiling = Double(max(1, ceiling))
        self.limit = Double(max(1, ceiling))
    }

    /// Current limit (for tests and logs).
    var currentLimit: Int { Int(limit) }

    /// Waits until one more request may go out.
    func acquire() async -> Permit {
        while inFlight >= max(1, Int(limit)) {
            await withCheckedContinuation { waiters.append($0) }
        }
        inFlight += 1
        return Permit(generation: generation)
    }

    /// The request is done; `rateLimited` when the API answered 429.
    func release(_ permit: Permit, rateLimited: Bool) {
        inFlight -= 1
        if rateLimited {
            if permit.generation == generation {
                limit = max(1, (min(limit, Double(inFlight + 1)) / 2).rounded(.down))
                generation += 1
            }
        } else if limit < ceiling {
            limit = min(ceiling, limit + 1 / limit)
        }
        wake()
    }

    private func wake() {
        var free = max(1, Int(limit)) - inFlight
        while free > 0, !waiters.isEmpty {
            waiters.removeFirst().resume()
            free -= 1
        }
    }
}
