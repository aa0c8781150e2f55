import ArgumentParser
import Foundation
import Logging
import PostgresClient
import UnderstoryAPI

/// Settings shared by every subcommand. Each has an environment variable; a flag beats it.
struct GlobalOptions: ParsableArguments {
    @Option(name: .customLong("database-url"), help: "PostgreSQL URI or conninfo (env DATABASE_URL; else libpq's PG* variables).")
    var databaseURL: String?

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
        ]
        for (name, value) in overrides { if let value { env[name] = value } }
        return env
    }

    var database: PostgresConfiguration {
        let url = environment["DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
        return PostgresConfiguration(connectionString: url)
    }

    func apiConfiguration() throws -> UnderstoryConfiguration {
        try UnderstoryConfiguration(environment: environment)
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
