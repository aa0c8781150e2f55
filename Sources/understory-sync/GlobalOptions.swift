import ArgumentParser
import Foundation
import Logging
import PostgresClient
import SyncEngine
import UnderstoryAPI

/// Settings shared by every subcommand. Each has an environment variable; a flag beats it.
struct GlobalOptions: ParsableArguments {
    @Option(
        name: .customLong("database-url"),
        help: "PostgreSQL URI or conninfo (env DATABASE_URL; else libpq's PG* variables). Prefer the variable when it holds a password: flags show in process lists (ps)."
    )
    var databaseURL: String?

    @Option(
        name: .customLong("lock-timeout"),
        help: "Seconds a statement waits for a table or row lock before that resource fails with exit 75 (env UNDERSTORY_LOCK_TIMEOUT, default 30; 0 = wait forever). A lock_timeout in PGOPTIONS or the URL's options= wins."
    )
    var lockTimeout: Double?

    @Option(
        name: .customLong("statement-timeout"),
        help: "Seconds one statement may run (env UNDERSTORY_STATEMENT_TIMEOUT, default 1800; 0 = no limit). A statement_timeout in PGOPTIONS or the URL's options= wins."
    )
    var statementTimeout: Double?

    @Option(name: .customLong("api-url"), help: "Understory API base URL (env UNDERSTORY_API_URL, default https://api.understory.io).")
    var apiURL: String?

    @Option(name: .customLong("auth-url"), help: "OAuth2 issuer; discovery at /.well-known/openid-configuration (env UNDERSTORY_AUTH_URL).")
    var authURL: String?

    @Option(help: "Token audience (env UNDERSTORY_AUDIENCE, default https://api.understory.io).")
    var audience: String?

    @Option(help: "Space-separated scopes to request (env UNDERSTORY_SCOPES).")
    var scopes: String?

    @Option(name: .customLong("client-id"), help: "Integration key client id (env UNDERSTORY_CLIENT_ID).")
    var clientID: String?

    @Option(
        name: .customLong("client-secret"),
        help: "Integration key secret (env UNDERSTORY_CLIENT_SECRET; prefer the variable: flags show in process lists)."
    )
    var clientSecret: String?

    @Option(name: .customLong("rate-limit-wait"), help: "Seconds to wait after a 429 without Retry-After (env UNDERSTORY_RATE_LIMIT_WAIT, default 60).")
    var rateLimitWait: Double?

    @Option(name: .customLong("log-format"), help: "Log lines on stderr as text or json.")
    var logFormat: LogFormat = .text

    @Flag(name: .shortAndLong, help: "Print nothing but errors.")
    var quiet = false

    @Flag(name: .shortAndLong, help: "Print debug logs.")
    var verbose = false

    /// The environment with flags laid over it: the single place the CLI reads configuration.
    var environment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        let overrides: [(String, String?)] = [
            ("DATABASE_URL", databaseURL),
            (UnderstoryConfiguration.Variable.apiURL, apiURL),
            (UnderstoryConfiguration.Variable.authURL, authURL),
            (UnderstoryConfiguration.Variable.audience, audience),
            (UnderstoryConfiguration.Variable.scopes, scopes),
            (UnderstoryConfiguration.Variable.clientID, clientID),
            (UnderstoryConfiguration.Variable.clientSecret, clientSecret),
            (UnderstoryConfiguration.Variable.rateLimitWait, rateLimitWait.map { String($0) }),
            (Self.lockTimeoutVariable, lockTimeout.map { String($0) }),
            (Self.statementTimeoutVariable, statementTimeout.map { String($0) }),
        ]
        for (name, value) in overrides { if let value { env[name] = value } }
        return env
    }

    static let lockTimeoutVariable = "UNDERSTORY_LOCK_TIMEOUT"
    static let statementTimeoutVariable = "UNDERSTORY_STATEMENT_TIMEOUT"

    func validate() throws {
        for (flag, value) in [("--lock-timeout", lockTimeout), ("--statement-timeout", statementTimeout)] {
            if let value, !(value >= 0 && value.isFinite) { throw ValidationError("\(flag) must be zero or more seconds") }
        }
        // An invalid variable is a configuration error (78), like the API's variables.
        let env = environment
        for name in [Self.lockTimeoutVariable, Self.statementTimeoutVariable] {
            if let text = env[name], !text.isEmpty, Self.seconds(text) == nil {
                FileHandle.standardError.write(Data("understory-sync: \(name) is invalid: \"\(text)\" is not a number of seconds (e.g. 30; 0 = no limit)\n".utf8))
                throw ExitCode(ExitStatus.configuration)
            }
        }
    }

    private static func seconds(_ text: String) -> Double? {
        guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value >= 0, value.isFinite else { return nil }
        return value
    }

    /// `lock_timeout` (default 30 s) and `statement_timeout` (default 30 min) for every session,
    /// unless the user sets them in the connection's `options` (URL `options=` or `PGOPTIONS`).
    var database: PostgresConfiguration {
        let env = environment
        let url = env["DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
        let lock = env[Self.lockTimeoutVariable].flatMap(Self.seconds) ?? 30
        let statement = env[Self.statementTimeoutVariable].flatMap(Self.seconds) ?? 1800
        return PostgresConfiguration(
            connectionString: url,
            applicationName: "understory-sync",
            sessionDefaults: [
                ("lock_timeout", "\(Int64((lock * 1000).rounded()))ms"),
                ("statement_timeout", "\(Int64((statement * 1000).rounded()))ms"),
            ]
        )
    }

    func apiConfiguration() throws -> UnderstoryConfiguration {
        try UnderstoryConfiguration(environment: environment)
    }

    /// A sync or reconcile job with this configuration; the token key is read only in third-party mode.
    func syncJob(logger: Logger, progress: (any ProgressReporter)? = ProgressLine.shared) throws -> SyncJob {
        let api = try apiConfiguration()
        let environment = self.environment
        return SyncJob(database: database, api: api, key: Result { try TokenKey(environment: environment) }, logger: logger, progress: progress)
    }

    /// Sets up logging to stderr once, before anything logs.
    func makeLogger() -> Logger {
        let level: Logger.Level = quiet ? .error : (verbose ? .debug : .info)
        let format = logFormat
        LoggingBootstrap.once(format: format, level: level)
        var logger = Logger(label: "understory-sync")
        logger.logLevel = level
        return logger
    }
}
