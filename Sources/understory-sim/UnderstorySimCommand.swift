import ArgumentParser
import Foundation
import Logging
import URLEncoding
import UnderstorySimulator

@main
struct UnderstorySimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "understory-sim",
        abstract: "Serve a fake Understory API (OAuth2 token endpoint, OIDC discovery and /v1) with seeded data and faults.",
        discussion: """
            One base URL serves both the auth server and the API: point UNDERSTORY_API_URL and UNDERSTORY_AUTH_URL \
            at it. Data is generated from --seed and the sizes; the same values (and --anchor) give the same data. \
            Faults apply to /v1 requests only. Stops cleanly on SIGINT/SIGTERM.
            """
    )

    @Option(help: "Address to bind.")
    var host: String = "127.0.0.1"

    @Option(help: "Port to bind (0 = any free port).")
    var port: Int = 8080

    @Option(help: "Seed for all generated data and for the random faults.")
    var seed: UInt64 = 1

    @Option(help: "Number of bookings to generate.")
    var bookings: Int = 5000

    @Option(help: "Number of orders to generate (each with line items, and transactions/refunds by payment status).")
    var orders: Int = 5000

    @Option(help: "Number of events to generate.")
    var events: Int = 500

    @Option(help: "Number of experiences to generate.")
    var experiences: Int = 12

    @Option(help: "Newest generated timestamp, as YYYY-MM-DDTHH:MM:SSZ (default: start of the current UTC day).")
    var anchor: String?

    @Option(help: "Days of history the generated created_at values span.")
    var historyDays: Int = 730

    @Option(help: "Days into the future generated events reach (local start time).")
    var futureDays: Int = 180

    @Option(help: "Latency added to every /v1 response, in milliseconds.")
    var latencyMs: Int = 0

    @Option(help: "Fraction (0...1) of /v1 requests answered with a random 500/502/503/504.")
    var errorRate: Double = 0

    @Option(help: "Answer every Nth /v1 request with 429.")
    var rateLimitEvery: Int?

    @Option(help: "Answer 429 when more than K /v1 requests are in flight.")
    var maxConcurrent: Int?

    @Option(help: "A real limiter: at most R requests per second per client (a token bucket), answered 429 beyond it (with Retry-After only if --retry-after is given).")
    var rateLimit: Double?

    @Option(help: "With --rate-limit: the bucket's size, the burst a client may send after a pause (default: R).")
    var rateBurst: Double?

    @Option(help: "With --rate-limit: at most this many requests of one client in flight.")
    var rateConcurrency: Int?

    @Option(help: "Send Retry-After: N (seconds) with 429 responses (default: no header, as the docs describe).")
    var retryAfter: Int?

    @Option(help: "Lifetime of issued access tokens, in seconds (expires_in).")
    var tokenTtl: Double = 3600

    @Option(help: "Scopes of the simulated integration key, space- or comma-separated; openid is always allowed (default: openid booking.read order.read event.read experience.read). Add marketing.read to see marketing consents.")
    var clientScopes: String?

    @Flag(help: "Answer a request whose token lacks the endpoint's scope with 401 UNAUTHORIZED instead of 403.")
    var missingScope401 = false

    @Flag(help: "Leave `scope` out of token responses.")
    var tokenOmitsScope = false

    @Flag(help: "Answer invalid_scope without naming the refused scopes.")
    var invalidScopeUnnamed = false

    @Option(help: "Cursors older than this many seconds are refused (0 = never expire).")
    var cursorTtl: Double = 600

    @Option(help: "How a refused cursor is answered: invalid-cursor (400 INVALID_CURSOR), bad-request (400 BAD_REQUEST, no mention of cursors), not-found (404) or gone (410).")
    var cursorLoss: CursorLossAnswer = .invalidCursor

    @Flag(help: "Offset cursors into the current sort order: records updated mid-traversal shift the others (skips/repeats).")
    var unstablePaging = false

    @Option(help: "Mutate data (updates, creates, cancels) before every Nth /v1 request.")
    var mutateEvery: Int?

    @Flag(help: "Serve /_admin/{mutate,touch,cancel,corrupt,set,set-line-item,delete,order-children,truth,stats,faults,expire-tokens,consent,revoke-consent,bulk-connect,webhooks} (no authentication).")
    var admin = false

    @Option(help: "Client id the token endpoint accepts, all read scopes (env UNDERSTORY_CLIENT_ID, default sim-client).")
    var clientId: String?

    @Option(
        help: "Client secret for --client-id (env UNDERSTORY_CLIENT_SECRET, default sim-secret-~Zq7-Xk~9; prefer the variable: flags show in ps)."
    )
    var clientSecret: String?

    @Option(
        name: .customLong("company"),
        help: ArgumentHelp(
            "Serve a further company with its own data, as ID=NAME (repeatable). Its seed derives from --seed and its position.",
            valueName: "id=name"
        )
    )
    var companies: [String] = []

    @Flag(help: "Give the --company companies the primary company's record ids (with different content).")
    var sharedIds = false

    @Option(help: "Client id of the third-party app (authorization_code with PKCE, refresh_token).")
    var appId: String = "sim-app"

    @Option(help: "Client secret for --app-id.")
    var appSecret: String = "sim-app-secret-~Pk9"

    @Option(
        name: .customLong("app-redirect-uri"),
        help: "Redirect URI registered for the app (repeatable; none = any http loopback URI is accepted)."
    )
    var appRedirectURIs: [String] = []

    @Option(help: "Company whose user approves at /oauth2/auth (default: the primary company).")
    var consentCompany: String?

    @Flag(help: "The simulated user denies at /oauth2/auth (access_denied).")
    var denyConsent = false

    @Option(help: "Seconds during which re-using the previous refresh token returns the same new pair (0 = strict).")
    var refreshReuseGrace: Double = 0

    @Option(help: "Log level (trace, debug, info, notice, warning, error, critical).")
    var logLevel: String = "info"

    func validate() throws {
        guard (0...65535).contains(self.port) else { throw ValidationError("--port must be 0...65535") }
        guard self.bookings >= 0, self.orders >= 0, self.events >= 0, self.experiences >= 1 else {
            throw ValidationError("sizes must not be negative, and there must be at least one experience")
        }
        guard (0...1).contains(self.errorRate) else { throw ValidationError("--error-rate must be between 0 and 1") }
        if let every = self.rateLimitEvery, every < 1 { throw ValidationError("--rate-limit-every must be at least 1") }
        if let k = self.maxConcurrent, k < 1 { throw ValidationError("--max-concurrent must be at least 1") }
        if let rate = self.rateLimit, !(rate > 0) { throw ValidationError("--rate-limit must be positive") }
        if let burst = self.rateBurst, !(burst >= 1) { throw ValidationError("--rate-burst must be at least 1") }
        if let cap = self.rateConcurrency, cap < 1 { throw ValidationError("--rate-concurrency must be at least 1") }
        if let every = self.mutateEvery, every < 1 { throw ValidationError("--mutate-every must be at least 1") }
        guard self.tokenTtl > 0 else { throw ValidationError("--token-ttl must be positive") }
        guard self.cursorTtl >= 0 else { throw ValidationError("--cursor-ttl must not be negative") }
        if let unknown = self.scopes.subtracting(SimulatorClient.knownScopes).sorted().first {
            throw ValidationError("--client-scopes: unknown scope \(unknown) (known: \(SimulatorClient.knownScopes.sorted().joined(separator: " ")))")
        }
        guard Logger.Level(rawValue: self.logLevel) != nil else { throw ValidationError("unknown --log-level \(self.logLevel)") }
        if let anchor = self.anchor, Self.parseAnchor(anchor) == nil {
            throw ValidationError("--anchor must look like 2026-01-01T00:00:00Z")
        }
        guard !self.client.id.isEmpty, !self.client.secret.isEmpty else {
            throw ValidationError("--client-id and --client-secret (or UNDERSTORY_CLIENT_ID and UNDERSTORY_CLIENT_SECRET) must not be empty")
        }
        guard !self.appId.isEmpty, !self.appSecret.isEmpty else { throw ValidationError("--app-id and --app-secret must not be empty") }
        guard self.refreshReuseGrace >= 0 else { throw ValidationError("--refresh-reuse-grace must not be negative") }
        var ids: Set<String> = [SimulatorConfiguration().companyID]
        for text in self.companies {
            guard let (id, _) = Self.parseCompany(text) else { throw ValidationError("--company must look like ID=NAME, got \(text)") }
            guard ids.insert(id).inserted else { throw ValidationError("--company \(id) is given twice or is the primary company") }
        }
        if let company = self.consentCompany, !ids.contains(company) {
            throw ValidationError("--consent-company \(company) is not a configured company")
        }
    }
}

extension UnderstorySimCommand {
    /// The client the token endpoint accepts: flags, else `UNDERSTORY_CLIENT_ID`/`UNDERSTORY_CLIENT_SECRET`
    /// (so a deployment passes the secret by environment, not in `ps`-visible arguments), else the defaults.
    /// The key's scopes (`--client-scopes`), or every read scope but marketing.read.
    var scopes: Set<String> {
        guard let text = clientScopes else { return SimulatorClient.allReadScopes }
        return Set(text.split { $0 == " " || $0 == "," }.map(String.init)).union(["openid"])
    }

    var client: (id: String, secret: String, secretFromEnvironment: Bool) {
        let environment = ProcessInfo.processInfo.environment
        let environmentSecret = self.clientSecret == nil ? environment["UNDERSTORY_CLIENT_SECRET"].flatMap { $0.isEmpty ? nil : $0 } : nil
        return (
            self.clientId ?? environment["UNDERSTORY_CLIENT_ID"].flatMap { $0.isEmpty ? nil : $0 } ?? "sim-client",
            self.clientSecret ?? environmentSecret ?? "sim-secret-~Zq7-Xk~9",
            environmentSecret != nil
        )
    }

    static func parseAnchor(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }

    static func parseCompany(_ text: String) -> (id: String, name: String)? {
        guard let equals = text.firstIndex(of: "=") else { return nil }
        let id = String(text[..<equals])
        let name = String(text[text.index(after: equals)...])
        guard !id.isEmpty, !name.isEmpty else { return nil }
        return (id, name)
    }

    /// The n-th (1-based) further company's seed: a fixed, well-spread function of the main seed.
    static func companySeed(_ seed: UInt64, _ n: Int) -> UInt64 {
        seed &+ UInt64(n) &* 0x9E37_79B9_7F4A_7C15
    }

    func makeConfiguration() -> SimulatorConfiguration {
        var config = SimulatorConfiguration(seed: self.seed, bookings: self.bookings, orders: self.orders, events: self.events, experiences: self.experiences)
        if let anchor = self.anchor.flatMap(Self.parseAnchor) { config.anchor = anchor }
        config.historyDays = self.historyDays
        config.futureDays = self.futureDays
        config.adminEnabled = self.admin
        config.clients = [SimulatorClient(id: self.client.id, secret: self.client.secret, scopes: self.scopes)]
        config.faults.missingScopeUnauthorized = self.missingScope401
        config.faults.tokenResponseOmitsScope = self.tokenOmitsScope
        config.faults.invalidScopeUnnamed = self.invalidScopeUnnamed
        config.apps = [SimulatorApp(id: self.appId, secret: self.appSecret, redirectURIs: self.appRedirectURIs)]
        config.additionalCompanies = self.companies.enumerated().compactMap { n, text in
            Self.parseCompany(text).map { company in
                SimulatorCompany(
                    id: company.id, name: company.name, seed: Self.companySeed(self.seed, n + 1),
                    idSeed: self.sharedIds ? self.seed : nil
                )
            }
        }
        config.faults.refreshTokenReuseGrace = .milliseconds(Int64(self.refreshReuseGrace * 1000))
        config.faults.latency = .milliseconds(self.latencyMs)
        config.faults.errorRate = self.errorRate
        config.faults.rateLimitEveryN = self.rateLimitEvery
        config.faults.maxConcurrentRequests = self.maxConcurrent
        config.faults.rateLimiter = self.rateLimit.map { RateLimiter(rate: $0, burst: self.rateBurst ?? max(1, $0), concurrency: self.rateConcurrency) }
        config.faults.retryAfterSeconds = self.retryAfter
        config.faults.tokenTTL = .milliseconds(Int64(self.tokenTtl * 1000))
        config.faults.cursorTTL = self.cursorTtl == 0 ? nil : .milliseconds(Int64(self.cursorTtl * 1000))
        config.faults.cursorLoss = self.cursorLoss
        config.faults.unstablePaging = self.unstablePaging
        config.faults.mutateEveryNRequests = self.mutateEvery
        return config
    }

    func run() async throws {
        var logger = Logger(label: "understory-sim")
        logger.logLevel = Logger.Level(rawValue: self.logLevel) ?? .info
        let configuration = self.makeConfiguration()
        let simulator = Simulator(configuration: configuration, logger: logger)
        simulator.setConsent(self.denyConsent ? .deny : .approve(companyID: self.consentCompany))
        let companies = simulator.companyIDs.count > 1 ? simulator.companyIDs.joined(separator: ", ") : configuration.companyID
        let consent = self.denyConsent ? "deny" : "approve as the user of \(self.consentCompany ?? configuration.companyID)"
        let app = configuration.apps[0]
        let redirect = app.redirectURIs.first ?? "http://127.0.0.1:8765/callback"
        let generation = simulator.generationTime
        let sizes = "\(configuration.bookings) bookings, \(configuration.orders) orders, \(configuration.events) events, \(configuration.experiences) experiences"
        let admin = self.admin
        try await simulator.serve(host: self.host, port: self.port) { baseURL in
            let lines = [
                "understory-sim listening on \(baseURL)",
                "  data:           \(sizes) (seed \(configuration.seed), generated in \(generation))",
                "  UNDERSTORY_API_URL=\(baseURL)",
                "  UNDERSTORY_AUTH_URL=\(baseURL)",
                "  UNDERSTORY_CLIENT_ID=\(configuration.clients[0].id)",
                // A secret given by the environment may be a real one (one .env for both): never echo it.
                "  UNDERSTORY_CLIENT_SECRET=\(self.client.secretFromEnvironment ? "(as set in UNDERSTORY_CLIENT_SECRET)" : configuration.clients[0].secret)",
                "  audience:       \(configuration.audience)",
                "  companies:      \(companies)\(self.sharedIds && simulator.companyIDs.count > 1 ? " (shared record ids)" : "")",
                "  third-party app (authorization_code + PKCE S256, refresh_token with rotation):",
                "    client_id=\(app.id)",
                "    client_secret=\(app.secret)",
                "    consent:      \(consent)",
                "    authorize:    \(Self.authorizeURL(baseURL: baseURL, app: app, redirect: redirect))",
                "    (that URL's code_challenge is S256 of code_verifier=\(Self.exampleVerifier))",
                admin ? "  admin:          \(baseURL)/_admin/{mutate,touch,cancel,corrupt,set,set-line-item,delete,order-children,truth,stats,faults,expire-tokens,consent,revoke-consent,bulk-connect,webhooks}" : "  admin:          off (--admin)",
                "Stop with Ctrl-C (SIGINT) or SIGTERM.",
            ]
            // Unbuffered, so a script reading a pipe sees the base URL at once.
            FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
        }
    }
}

extension UnderstorySimCommand {
    static let exampleVerifier = "sim-test-verifier-0123456789-abcdefghijklmnopqrstuvwxyz._~"
    static let exampleChallenge = "GwuKesed8DLGlWXinKS1VndAR6uA1Mngw71uMsdgJMo"

    /// A ready-to-open authorize URL for `app` (state `demo`, the RFC 7636 example challenge).
    static func authorizeURL(baseURL: String, app: SimulatorApp, redirect: String) -> String {
        let scope = app.scopes.union(["openid"]).sorted().joined(separator: " ")
        let query = [
            ("response_type", "code"), ("client_id", app.id), ("redirect_uri", redirect), ("scope", scope), ("state", "demo"),
            ("code_challenge", self.exampleChallenge), ("code_challenge_method", "S256"),
        ]
        return baseURL + "/oauth2/auth?" + PercentEncoding.formEncode(query)
    }
}

extension CursorLossAnswer: ExpressibleByArgument {}
