import Foundation
import TimeSource

/// The resources the simulator serves.
public enum SimulatorResource: String, Sendable, Hashable, CaseIterable, Codable {
    case bookings
    case orders
    case events
    case experiences
    case marketingConsents = "marketing-consents"
}

/// An API client the token endpoint accepts (an "integration key").
public struct SimulatorClient: Sendable, Hashable {
    public var id: String
    public var secret: String
    /// Scopes this key was created with. `openid` is always allowed.
    public var scopes: Set<String>
    /// The company whose data this key reads; nil = the primary company.
    public var companyID: String?

    public init(id: String, secret: String, scopes: Set<String> = SimulatorClient.allReadScopes, companyID: String? = nil) {
        self.id = id
        self.secret = secret
        self.scopes = scopes
        self.companyID = companyID
    }

    public static let allReadScopes: Set<String> = [
        "openid", "booking.read", "order.read", "event.read", "experience.read",
    ]
    /// Every scope the simulator knows; requesting any other is `invalid_scope`.
    public static let knownScopes: Set<String> = allReadScopes.union([
        "booking.write", "marketing.read", "webhook.read", "webhook.write", "offline",
    ])
}

/// How many changes one `mutate` makes, per resource.
public struct MutationBatch: Sendable, Hashable, Codable {
    public var updates: Int
    public var creates: Int
    public var cancels: Int
    public var resources: Set<SimulatorResource>

    public init(updates: Int = 3, creates: Int = 1, cancels: Int = 1, resources: Set<SimulatorResource> = [.bookings, .orders, .events]) {
        self.updates = updates
        self.creates = creates
        self.cancels = cancels
        self.resources = resources
    }
}

/// Faults and time-dependent behaviour. Part of the configuration and changeable while running
/// (`Simulator.setFaults`). Faults apply to `/v1` requests only (not to discovery, token or admin).
public struct SimulatorFaults: Sendable, Hashable {
    /// Added before every `/v1` response.
    public var latency: Duration = .zero
    /// Fraction (0...1) of `/v1` requests answered with a random 500/502/503/504 (seeded RNG).
    public var errorRate: Double = 0
    /// Every Nth `/v1` request (counting all of them, 1-based) is answered 429.
    public var rateLimitEveryN: Int? = nil
    /// A `/v1` request arriving while more than K are in flight is answered 429.
    public var maxConcurrentRequests: Int? = nil
    /// Every `/v1` request after the first N (counting all of them, as `rateLimitEveryN` does) is
    /// answered 503: an outage that starts at a known point of a run.
    public var outageAfterRequests: Int? = nil
    /// `Retry-After` seconds sent with 429; nil sends none (as the docs describe).
    public var retryAfterSeconds: Int? = nil
    /// Lifetime of issued tokens (`expires_in`); an older token gets 401.
    public var tokenTTL: Duration = .seconds(3600)
    /// A cursor older than this gets 400 `INVALID_CURSOR`; nil = cursors never expire.
    public var cursorTTL: Duration? = .seconds(600)
    /// The next N requests that present a cursor get 400 `INVALID_CURSOR` (expired) whatever its
    /// age; each such answer counts one down. A traversal restart on demand.
    public var expireNextCursors: Int = 0
    /// How an expired or unknown cursor is answered. Only `INTERNAL_SERVER_ERROR` and
    /// `UNAUTHORIZED` are documented, so the real wording is unknown: a client must recognise
    /// cursor loss by what it sent, not by what the answer says.
    public var cursorLoss: CursorLossAnswer = .invalidCursor
    /// Offset cursors into the *current* sort order (a record updated mid-traversal shifts the
    /// others, so pages can skip or repeat items). Off: keyset cursors (no skips, no repeats).
    public var unstablePaging: Bool = false
    /// Bookings and orders asked for `sort=-updated_at` are served newest-*created* first instead (a
    /// server that ignores the sort), so a client can be shown to notice pages out of order.
    public var ignoreUpdatedAtSort: Bool = false
    /// Ids that every list page leaves out while their single GET still answers 200: a list that
    /// skipped live items (as an unstable traversal can), to show nothing is marked deleted on that alone.
    public var listsSkip: Set<String> = []
    /// Answer a `/v1` request whose token lacks the endpoint's scope with 401 `UNAUTHORIZED` (as
    /// Understory's error docs allow: that code covers failed authorization too) instead of 403.
    public var missingScopeUnauthorized: Bool = false
    /// A real limiter: a token bucket per client (and optionally a concurrency cap); nil = none.
    public var rateLimiter: RateLimiter? = nil
    /// Token responses carry no `scope` (no public client reads it, so the real API may not send it).
    public var tokenResponseOmitsScope: Bool = false
    /// `invalid_scope` answers do not name the refused scopes (`error_description: "invalid scope"`).
    public var invalidScopeUnnamed: Bool = false
    /// Runs `mutate(batch: mutationBatch)` before serving every Nth `/v1` request.
    public var mutateEveryNRequests: Int? = nil
    public var mutationBatch: MutationBatch = .init()
    /// For this long after a refresh token was rotated, presenting it again returns the same new pair
    /// (as long as that pair's refresh token is still the live one). Zero = strict: any re-use is
    /// `invalid_grant` and revokes the whole consent chain.
    public var refreshTokenReuseGrace: Duration = .zero
    /// Lifetime of authorization codes from `/oauth2/auth` (single use either way).
    public var authorizationCodeTTL: Duration = .seconds(60)
    /// `/v1` requests whose path matches a pattern are answered with its status (the first match
    /// wins): a 500 on one booking's tickets while everything else answers. See ``PathFault``.
    public var pathFaults: [PathFault] = []
    /// An item created (by `mutate`) while this is set answers 404 on its GET and its children for
    /// this long after its creation (simulator clock), as an API whose reads lag its writes.
    public var notFoundAfterCreation: Duration? = nil

    public init() {}

    public static let none = SimulatorFaults()
}

/// How the simulator answers a cursor it no longer accepts (expired, tampered, another listing's).
public enum CursorLossAnswer: String, Sendable, Hashable, CaseIterable {
    /// `400 {"code":"INVALID_CURSOR", …}`: names the cursor (what the notes guessed).
    case invalidCursor = "invalid-cursor"
    /// `400 {"code":"BAD_REQUEST","message":"Bad request"}`: no mention of cursors.
    case badRequest = "bad-request"
    /// `404 {"code":"NOT_FOUND","message":"Not found"}`.
    case notFound = "not-found"
    /// `410 {"code":"GONE","message":"Gone"}`.
    case gone

    /// The answer's status, code and message; `detail` says why (used only by `.invalidCursor`).
    public func answer(_ detail: String) -> (status: Int, code: String, message: String) {
        switch self {
        case .invalidCursor: (400, "INVALID_CURSOR", detail)
        case .badRequest: (400, "BAD_REQUEST", "Bad request")
        case .notFound: (404, "NOT_FOUND", "Not found")
        case .gone: (410, "GONE", "Gone")
        }
    }
}

/// One per-path fault: `/v1` requests whose path matches `pattern` (`*` matches any run of
/// characters within one path segment, e.g. `/v1/bookings/*/tickets`) are answered `status`
/// (429 with `Retry-After` as the faults say; any other status with an error body).
public struct PathFault: Sendable, Hashable {
    public var pattern: String
    public var status: Int

    public init(pattern: String, status: Int) {
        self.pattern = pattern
        self.status = status
    }

    /// Whether `path` matches the pattern.
    public func matches(_ path: String) -> Bool {
        let patternSegments = pattern.split(separator: "/", omittingEmptySubsequences: false)
        let pathSegments = path.split(separator: "/", omittingEmptySubsequences: false)
        guard patternSegments.count == pathSegments.count else { return false }
        return zip(patternSegments, pathSegments).allSatisfy { Self.segment($0.0, matches: $0.1) }
    }

    private static func segment(_ pattern: Substring, matches text: Substring) -> Bool {
        let parts = pattern.split(separator: "*", omittingEmptySubsequences: false)
        guard parts.count > 1 else { return pattern == text }
        guard text.hasPrefix(parts[0]) else { return false }
        var rest = text.dropFirst(parts[0].count)
        for part in parts.dropFirst().dropLast() where !part.isEmpty {
            guard let range = rest.range(of: part) else { return false }
            rest = rest[range.upperBound...]
        }
        return rest.hasSuffix(parts.last!) && rest.count >= parts.last!.count
    }
}

/// Everything that shapes a simulator: data, identity, credentials and faults.
public struct SimulatorConfiguration: Sendable {
    /// Seed for all generated data (and for the fault RNG).
    public var seed: UInt64 = 1
    public var bookings: Int = 500
    public var orders: Int = 500
    public var events: Int = 100
    public var experiences: Int = 12
    /// Marketing consents (`/v1/marketing-consents`); nil = a quarter of `bookings`.
    public var marketingConsents: Int? = nil
    /// The newest generated `created_at`/`updated_at`; generated history reaches `historyDays` back
    /// and events up to `futureDays` ahead (local time). Mutations stamp times after it, 1 s apart.
    /// Default: the start of the current UTC day (pin it for byte-identical data across days).
    public var anchor: Date = SimulatorConfiguration.startOfCurrentUTCDay()
    public var historyDays: Int = 730
    public var futureDays: Int = 180

    public var companyID: String = "c0mp4ny-5eed-4b1d-9e11-0000000000a1"
    public var companyName: String = "Fjord & Fells Adventures ApS — “Nordlys” 🌌 ‏مغامرات‎"
    public var userID: String = "usr_integration_key_0001"
    public var email: String = "ops+integration@fjord-fells.example"
    /// Further companies, each with its own data (same sizes). An access token serves its company's data.
    public var additionalCompanies: [SimulatorCompany] = []
    /// Accepted clients; the first is the one `Simulator.clientID`/`clientSecret` report.
    public var clients: [SimulatorClient] = [
        SimulatorClient(id: "sim-client", secret: "sim-secret-~Zq7-Xk~9"),
        SimulatorClient(id: "sim-bookings-only", secret: "bookings-only-~secret", scopes: ["openid", "booking.read"]),
    ]
    /// Third-party apps (authorization_code with PKCE, refresh_token); the first is the one
    /// `Simulator.appID`/`appSecret` report.
    public var apps: [SimulatorApp] = [SimulatorApp(id: "sim-app", secret: "sim-app-secret-~Pk9")]
    /// The `audience` the token request must carry.
    public var audience: String = "https://api.understory.io"
    /// Languages of the storefront; `Accept-Language` must match one (the first is the default).
    public var languages: [String] = ["en", "da", "de"]
    /// Serve `/_admin/...` (mutate, truth, stats, faults, corrupt). Off by default.
    public var adminEnabled: Bool = false
    public var faults: SimulatorFaults = .init()
    /// Lists served besides the simulator's own resources (a test's resource).
    public var lists: [SimulatorList] = []
    /// "Now" for every token, code and cursor lifetime and the refresh-token grace window, and the
    /// waits of the `latency` fault and of webhook deliveries. Tests inject a virtual clock
    /// (Tests/SyncTestSupport/VirtualClock.swift) and advance it instead of sleeping until a token
    /// or cursor expires; sharing it with the API client's clock moves both sides together.
    public var clock: any TimeSource = .system

    /// Token lifetime (same as `faults.tokenTTL`).
    public var tokenTTL: Duration {
        get { self.faults.tokenTTL }
        set { self.faults.tokenTTL = newValue }
    }

    public init() {}

    public init(seed: UInt64, bookings: Int, orders: Int, events: Int, experiences: Int = 12) {
        self.seed = seed
        self.bookings = bookings
        self.orders = orders
        self.events = events
        self.experiences = experiences
    }

    public static func startOfCurrentUTCDay() -> Date {
        let now = Date().timeIntervalSince1970
        return Date(timeIntervalSince1970: (now / 86_400).rounded(.down) * 86_400)
    }

    var anchorMicros: Int64 {
        Int64((self.anchor.timeIntervalSince1970 * 1_000_000).rounded(.down))
    }
}
