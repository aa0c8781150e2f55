import NIOCore
import TimeSource

/// What one client (one account) may send to the API, found from the API's answers because its
/// limits are not documented: how many requests may be in flight, and how many may start per
/// second. Both are unbounded until the API answers 429; then they adapt the way TCP does
/// (additive increase, multiplicative decrease). Lists, order children, backfill slices and the
/// webhook inbox of an account share its client, so they share one gate and slow down together
/// instead of each retrying on its own until the retry budget runs out.
///
/// - **Concurrency:** it starts at ``startingLimit`` in flight and grows by one per success (slow
///   start: doubling each round of requests) until the first 429, so a fan-out does not spend a
///   burst of requests on a limit it has not met yet; a 429 halves it; then successes grow it back
///   by about one per round of requests.
/// - **Rate:** the first 429 sets the pace to 90 % of the fastest rate the API was accepting over
///   the last ¼, ½, 1 or 2 seconds (an estimate from the slow-start ramp; too high is corrected by
///   the next 429 within a round, too low would take hundreds of requests to climb back); a later
///   429 sets it to 90 % of the rate accepted over the last two seconds (or 20 requests' time at
///   the pace, if longer), or of the current pace if lower, never below half the best rate it
///   accepted over ten seconds. Each success raises it by 0.12 %, so the client probes upwards
///   every 80 requests or more (the bucket's burst lets it run past the limit for a while) and
///   spends under 1 % of a long sync's requests on 429s (BENCHMARKS.md). Requests then start
///   at most `pace` per second, spaced evenly.
///
/// A decrease re-spaces the requests already waiting for their turn: a turn carries the
/// generation it was given in, and one given before the last decrease no longer holds (the
/// request takes a new turn at the new pace). Without that, the turns handed out at the old pace
/// (one per waiting stream, seconds of them at a slow limit) kept going out too fast after the
/// 429, each refused and cutting again, and the pace fell far below the limit.
///
/// Several requests rejected together count as one signal: a 429 decreases only if its request
/// went out after the last decrease (each permit carries the generation it was issued in), and
/// at least a second after it (a drained token bucket refuses for a while whatever the pace;
/// modelled on a bucket, cutting at each of those refusals paced at half the limit).
/// `adaptiveRate: false` keeps the concurrency limit only (the behaviour before pacing).
actor RateLimitGate {
    struct Permit: Sendable {
        var generation: Int
    }

    /// When a request may start by the pace: after `wait`, if no decrease comes first (``holds(_:)``).
    struct Turn: Sendable {
        var wait: Duration
        var generation: Int
    }

    private let ceiling: Double
    private let adaptiveRate: Bool
    private var limit: Double
    /// Until the first decrease (the first 429 counted): the limit grows by one per success.
    private var slowStart: Bool { adaptiveRate && generation == 0 }
    private var inFlight = 0
    private var generation = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []
    /// No decrease before this instant (``hold`` after the last one).
    private var holdUntil: ContinuousClock.Instant?
    /// Requests per second; nil until the first 429.
    private var pace: Double?
    /// When the next request may start, by the pace.
    private var nextStart: ContinuousClock.Instant?
    /// When recent requests were accepted (not 429), oldest first, within `longWindow`.
    private var accepted = CircularBuffer<ContinuousClock.Instant>()
    /// When the first request was accepted: the rate is measured over less than `window` before
    /// that much time has passed.
    private var firstAccepted: ContinuousClock.Instant?
    /// The best rate the API accepted over `longWindow`: the pace never falls below half of it, so
    /// 429s that do not depend on the rate (a flaky gateway) cost at most half the speed, instead of
    /// pacing the client down to a crawl one 429 at a time.
    private var bestRate = 0.0
    private static let window = Duration.seconds(2)
    private static let longWindow = Duration.seconds(10)
    private static let slowest = 0.2
    /// After a 429: the pace becomes this share of the rate the API was accepting.
    private static let decrease = 0.9
    /// After each accepted request: the pace grows by this factor, so it climbs back the 10 % in
    /// about 80 requests (one decrease per 80 or more requests near the limit: under 1 % refused).
    private static let increase = 1.0012
    /// Windows the first 429's estimate of the accepted rate is measured over (the fastest wins).
    private static let firstWindows: [Duration] = [.milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2)]
    /// After a decrease, further 429s do not decrease again for this long.
    private static let hold = Duration.seconds(1)
    /// The accepted rate is measured over at least this many requests at the current pace (a
    /// slow limit needs a longer window than two seconds for a steady figure).
    private static let samples = 20.0
    /// In-flight requests allowed before the first answer (slow start).
    static let startingLimit = 4

    /// `startingLimit`: requests in flight before the first answers (slow start); with
    /// `adaptiveRate: false`, the ceiling (the behaviour before pacing).
    init(ceiling: Int = 1024, adaptiveRate: Bool = true, startingLimit: Int = RateLimitGate.startingLimit) {
        self.ceiling = Double(max(1, ceiling))
        self.limit = adaptiveRate ? Double(max(1, min(ceiling, startingLimit))) : Double(max(1, ceiling))
        self.adaptiveRate = adaptiveRate
    }

    /// Current in-flight limit (for tests and logs).
    var currentLimit: Int { Int(limit) }
    /// Current pace in requests per second; nil while unpaced (for tests and logs).
    var currentPace: Double? { pace }

    /// How long a request that wants to start at `now` waits for its turn by the pace (zero while
    /// unpaced); its turn is reserved, so callers that wait start evenly spaced.
    func turn(now: ContinuousClock.Instant) -> Turn {
        guard let pace else { return Turn(wait: .zero, generation: generation) }
        let start = max(now, nextStart ?? now)
        nextStart = start + .seconds(1 / pace)
        return Turn(wait: start - now, generation: generation)
    }

    /// Whether a turn still holds after its wait: false when the pace was decreased meanwhile (the
    /// request then takes a new turn at the new pace).
    func holds(_ turn: Turn) -> Bool {
        turn.generation == generation
    }

    /// Waits on `clock` until a request may start by the pace: its turn, or — when a 429 slowed
    /// the pace while it waited — a new turn at the new pace. Returns at once while unpaced.
    func waitForTurn(on clock: any TimeSource) async throws {
        var turn = self.turn(now: clock.now)
        while turn.wait > .zero {
            try await clock.sleep(for: turn.wait)
            if holds(turn) { return }
            turn = self.turn(now: clock.now)
        }
    }

    /// Waits until one more request may be in flight.
    func acquire() async -> Permit {
        while inFlight >= max(1, Int(limit)) {
            await withCheckedContinuation { waiters.append($0) }
        }
        inFlight += 1
        return Permit(generation: generation)
    }

    /// The request is done at `now`; `rateLimited` when the API answered 429.
    func release(_ permit: Permit, rateLimited: Bool, now: ContinuousClock.Instant = .now) {
        inFlight -= 1
        let horizon = now - Self.longWindow
        while let oldest = accepted.first, oldest < horizon { accepted.removeFirst() }
        if rateLimited {
            // One decrease per signal: the 429 of a request sent after the last decrease, at least
            // `hold` after it (a drained bucket keeps refusing for a moment whatever the pace;
            // cutting again for each of those refusals would pace far below the limit).
            if permit.generation == generation, now >= holdUntil ?? now {
                limit = max(1, (min(limit, Double(inFlight + 1)) / 2).rounded(.down))
                if adaptiveRate {
                    let measured = pace == nil ? fastestAcceptedRate(now: now) : acceptedRate(now: now)
                    pace = max(Self.slowest, bestRate / 2, min(pace ?? measured, measured) * Self.decrease)
                    // The turns handed out at the old pace are void (``holds(_:)``): the next starts one new interval from now.
                    nextStart = now + .seconds(1 / (pace ?? Self.slowest))
                }
                generation += 1
                holdUntil = now + Self.hold
            }
        } else {
            accepted.append(now)
            if firstAccepted == nil { firstAccepted = now }
            if let first = firstAccepted, now - first >= Self.longWindow {
                bestRate = max(bestRate, Double(accepted.count) / Self.seconds(Self.longWindow))
            }
            if limit < ceiling { limit = min(ceiling, limit + (slowStart ? 1 : 1 / limit)) }
            if let current = pace { pace = current * Self.increase }
        }
        wake()
    }

    /// Requests per second the API accepted over the last ``window`` (or the time ``samples``
    /// requests take at the pace, if longer, up to ``longWindow``; less right after the first
    /// answer, at least half a second).
    private func acceptedRate(now: ContinuousClock.Instant) -> Double {
        let wanted = pace.map { min(Self.longWindow, max(Self.window, .seconds(Self.samples / $0))) } ?? Self.window
        let span = min(wanted, max(.milliseconds(500), now - (firstAccepted ?? now)))
        let recent = accepted.lazy.filter { $0 >= now - span }.count
        return recent == 0 ? Self.slowest : Double(recent) / Self.seconds(span)
    }

    /// The fastest rate the API accepted over any of ``firstWindows`` that fit since the first
    /// answer: the ramp of slow start sends most of its requests last, so one long window would
    /// underestimate the limit.
    private func fastestAcceptedRate(now: ContinuousClock.Instant) -> Double {
        let since = now - (firstAccepted ?? now)
        let fitting = Self.firstWindows.filter { $0 <= max(since, Self.firstWindows[0]) }
        let rates = fitting.map { span in Double(accepted.lazy.filter { $0 >= now - span }.count) / Self.seconds(span) }
        return max(Self.slowest, rates.max() ?? 0)
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// The request never got an answer (a transport error, no token): frees its place, no signal.
    func forfeit(_ permit: Permit) {
        inFlight -= 1
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
