import AsyncHTTPClient
import Foundation
import NIOCore

/// Everything the client needs to talk to one Understory account.
///
/// Built from an environment dictionary (``init(environment:)``) with the names and defaults of
/// design.md, or member by member. The library never reads the process environment itself: the CLI
/// passes its environment in, with flags overlaid under the same variable names (flags beat env).
///
/// The client secret is held in a ``Secret`` and never appears in ``description``,
/// ``debugDescription``, a `dump`, a log line or an error.
public struct UnderstoryConfiguration: Sendable {
    /// The names of the environment variables, exactly as in design.md.
    public enum Variable {
        public static let clientID = "UNDERSTORY_CLIENT_ID"
        public static let clientSecret = "UNDERSTORY_CLIENT_SECRET"
        public static let apiURL = "UNDERSTORY_API_URL"
        public static let authURL = "UNDERSTORY_AUTH_URL"
        public static let audience = "UNDERSTORY_AUDIENCE"
        public static let scopes = "UNDERSTORY_SCOPES"
        public static let rateLimitWait = "UNDERSTORY_RATE_LIMIT_WAIT"
        public static let adaptiveRate = "UNDERSTORY_ADAPTIVE_RATE"
    }

    /// The defaults of design.md.
    public enum Default {
        public static let apiURL = "https://api.understory.io"
        public static let authURL = "https://api.auth.understory.io"
        public static let audience = "https://api.understory.io"
        public static let scopes = ["openid", "order.read", "booking.read", "event.read", "experience.read"]
        /// What to ask for when the token endpoint refuses ``scopes`` without naming the scopes it
        /// refuses: the set other public clients of the API request by default (no `order.read`).
        public static let fallbackScopes = ["openid", "booking.read", "event.read", "experience.read"]
        public static let rateLimitWait = Duration.seconds(60)
        public static let acceptLanguage = "en-GB; q=1.0, en-US; q=0.8"
    }

    /// The version sent in the default `User-Agent` (`understory-sync/<version>`).
    public static let clientVersion = "0.1.0"

    /// Per-request time limits.
    public struct Timeouts: Sendable, Hashable {
        /// Time to establish a TCP (+TLS) connection. Applied through ``UnderstoryConfiguration/httpClientConfiguration()``.
        public var connect: Duration
        /// Longest silence while reading a response. Applied through ``UnderstoryConfiguration/httpClientConfiguration()``.
        public var read: Duration
        /// Deadline for one attempt to get the response head (passed to every `execute` call).
        public var request: Duration

        public init(connect: Duration = .seconds(10), read: Duration = .seconds(60), request: Duration = .seconds(90)) {
            self.connect = connect
            self.read = read
            self.request = request
        }
    }

    /// Base URL of the API, without a trailing slash (e.g. `https://api.understory.io`).
    public var apiURL: String
    /// OIDC issuer; discovery is at `<authURL>/.well-known/openid-configuration`.
    public var authURL: String
    /// The `audience` sent in the token request.
    public var audience: String
    /// Scopes requested (sent space-separated).
    public var scopes: [String]
    /// Scopes asked for, once, when the token endpoint answers `invalid_scope` to ``scopes`` without
    /// naming the refused ones (when it names them, the retry leaves out just those).
    public var fallbackScopes: [String] = Default.fallbackScopes
    public var clientID: String
    public var clientSecret: Secret
    /// Wait after a 429 that carries no `Retry-After`: the longest, when ``adaptiveRate`` is on
    /// (the pace does the waiting and a retry backs off from 1 s), else every time.
    public var rateLimitWait: Duration
    /// Find the API's undocumented rate limit by pacing requests after a 429 (``RateLimitGate``);
    /// off (`UNDERSTORY_ADAPTIVE_RATE=off`) keeps only the in-flight limit and waits
    /// ``rateLimitWait`` after each 429 without `Retry-After`.
    public var adaptiveRate = true
    /// Sent on every request.
    public var userAgent: String
    /// Sent on the experience endpoints, which require it.
    public var acceptLanguage: String
    public var timeouts: Timeouts
    public var retry: RetryPolicy
    /// Largest response body accepted (a guard against a runaway server).
    public var maxResponseBytes: Int

    public init(
        clientID: String,
        clientSecret: Secret,
        apiURL: String = Default.apiURL,
        authURL: String = Default.authURL,
        audience: String = Default.audience,
        scopes: [String] = Default.scopes,
        rateLimitWait: Duration = Default.rateLimitWait,
        userAgent: String = "understory-sync/\(UnderstoryConfiguration.clientVersion)",
        acceptLanguage: String = Default.acceptLanguage,
        timeouts: Timeouts = Timeouts(),
        retry: RetryPolicy = RetryPolicy(),
        maxResponseBytes: Int = 64 << 20
    ) {
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.apiURL = Self.trimmingTrailingSlashes(apiURL)
        self.authURL = Self.trimmingTrailingSlashes(authURL)
        self.audience = audience
        self.scopes = scopes
        self.rateLimitWait = rateLimitWait
        self.userAgent = userAgent
        self.acceptLanguage = acceptLanguage
        self.timeouts = timeouts
        self.retry = retry
        self.maxResponseBytes = maxResponseBytes
    }

    /// Reads the settings of design.md from `environment` (a variable set to the empty string counts
    /// as unset). Flags are overlaid by the caller under the same names before calling.
    ///
    /// - Throws: ``UnderstoryAPIError`` `.missingConfiguration` naming `UNDERSTORY_CLIENT_ID` or
    ///   `UNDERSTORY_CLIENT_SECRET` when absent; `.invalidConfiguration` naming the variable for a
    ///   malformed URL or wait.
    public init(environment: [String: String], version: String = UnderstoryConfiguration.clientVersion) throws {
        func value(_ name: String) -> String? {
            guard let raw = environment[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !raw.isEmpty else {
                return nil
            }
            return raw
        }
        guard let clientID = value(Variable.clientID) else {
            throw UnderstoryAPIError.missingConfiguration(
                variable: Variable.clientID,
                hint: "set it (or --client-id) to the client id of an internal integration key from Understory Backoffice → Company settings → Integrations"
            )
        }
        // The secret is used verbatim (no trimming inside it), but an empty one is missing.
        guard let secret = environment[Variable.clientSecret], !secret.isEmpty else {
            throw UnderstoryAPIError.missingConfiguration(
                variable: Variable.clientSecret,
                hint: "set it (or --client-secret) to the secret shown once when the integration key was created"
            )
        }
        let apiURL = try Self.validatedURL(value(Variable.apiURL) ?? Default.apiURL, variable: Variable.apiURL)
        let authURL = try Self.validatedURL(value(Variable.authURL) ?? Default.authURL, variable: Variable.authURL)
        let audience = value(Variable.audience) ?? Default.audience
        let scopes = value(Variable.scopes).map(Self.parseScopes) ?? Default.scopes
        var wait = Default.rateLimitWait
        if let text = value(Variable.rateLimitWait) {
            guard let seconds = Double(text), seconds.isFinite, seconds >= 0 else {
                throw UnderstoryAPIError.invalidConfiguration(
                    variable: Variable.rateLimitWait,
                    detail: "expected a non-negative number of seconds, got \"\(text)\""
                )
            }
            wait = .milliseconds(Int64((seconds * 1000).rounded()))
        }
        var adaptiveRate = true
        if let text = value(Variable.adaptiveRate) {
            switch text.lowercased() {
            case "on", "true", "1", "yes": adaptiveRate = true
            case "off", "false", "0", "no": adaptiveRate = false
            default:
                throw UnderstoryAPIError.invalidConfiguration(variable: Variable.adaptiveRate, detail: "expected on or off, got \"\(text)\"")
            }
        }
        self.init(
            clientID: clientID,
            clientSecret: Secret(secret),
            apiURL: apiURL,
            authURL: authURL,
            audience: audience,
            scopes: scopes,
            rateLimitWait: wait,
            userAgent: "understory-sync/\(version)"
        )
        self.adaptiveRate = adaptiveRate
    }

    /// Splits a scope list on spaces and/or commas, dropping empties and duplicates (order kept).
    public static func parseScopes(_ text: String) -> [String] {
        var seen = Set<String>()
        return text.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" || $0 == "\n" })
            .map(String.init)
            .filter { seen.insert($0).inserted }
    }

    /// An `HTTPClient.Configuration` whose connect and read timeouts are ``timeouts``.
    /// The caller creates (and shuts down) the `HTTPClient`; the client never makes one itself.
    public func httpClientConfiguration() -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(
            connect: TimeAmount(timeouts.connect),
            read: TimeAmount(timeouts.read)
        )
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        return configuration
    }

    static func trimmingTrailingSlashes(_ url: String) -> String {
        var url = url
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }

    static func validatedURL(_ text: String, variable: String) throws -> String {
        let trimmed = trimmingTrailingSlashes(text)
        guard let url = URL(string: trimmed),
            let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host, !host.isEmpty
        else {
            throw UnderstoryAPIError.invalidConfiguration(
                variable: variable,
                detail: "expected an http(s) URL such as https://api.understory.io, got \"\(text)\""
            )
        }
        return trimmed
    }
}

extension UnderstoryConfiguration: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// All settings, with the secret redacted.
    public var description: String {
        "UnderstoryConfiguration(apiURL: \(apiURL), authURL: \(authURL), audience: \(audience), "
            + "scopes: \(scopes.joined(separator: " ")), clientID: \(clientID), clientSecret: \(clientSecret), "
            + "rateLimitWait: \(rateLimitWait), userAgent: \(userAgent), retry: \(retry))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "apiURL": apiURL, "authURL": authURL, "audience": audience, "scopes": scopes,
                "clientID": clientID, "clientSecret": clientSecret, "rateLimitWait": rateLimitWait,
                "userAgent": userAgent, "timeouts": timeouts, "retry": retry,
            ],
            displayStyle: .struct
        )
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}

/// A secret string (the client secret) that never prints itself.
///
/// `description`, `debugDescription`, string interpolation and `dump` all show `<redacted>`;
/// read the value explicitly with ``revealed``.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The secret itself. Only the token request reads it.
    public let revealed: String

    public init(_ value: String) {
        self.revealed = value
    }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}
