/// How to reach PostgreSQL.
///
/// `connectionString` is anything libpq accepts as a `dbname`: a `postgresql://` URI or a
/// `key=value` conninfo string. When it is `nil`, libpq's own `PG*` environment variables and
/// `~/.pgpass` decide. The description never shows the string (it may hold a password).
public struct PostgresConfiguration: Sendable, CustomStringConvertible {
    public var connectionString: String?
    /// Sent as `fallback_application_name`, so a URI's own `application_name` or `PGAPPNAME` still wins.
    /// The application sets it (the CLI: `understory-sync`); the library's own default names only the library.
    public var applicationName: String
    /// Seconds libpq waits to connect (`connect_timeout`), unless the connection string sets it.
    public var connectTimeout: Int
    /// Run-time parameters set on every new session (`set_config`, e.g. `lock_timeout` = `30s`),
    /// except those the user already sets through the connection's `options` (the connection
    /// string's `options=` or `PGOPTIONS`, as `-c name=value` or `--name=value`): theirs win.
    public var sessionDefaults: [(name: String, value: String)]

    public init(
        connectionString: String? = nil, applicationName: String = "PostgresClient", connectTimeout: Int = 10,
        sessionDefaults: [(name: String, value: String)] = []
    ) {
        self.connectionString = connectionString
        self.applicationName = applicationName
        self.connectTimeout = connectTimeout
        self.sessionDefaults = sessionDefaults
    }

    public var description: String {
        "PostgresConfiguration(connectionString: \(connectionString == nil ? "nil (libpq defaults)" : "<redacted>"), applicationName: \(applicationName))"
    }
}

extension PostgresConfiguration {
    /// The run-time parameters an `options` value sets (`-c name=value`, `--name=value`), named as
    /// the server reads them (lower case, `-` as `_`).
    public static func parameterNames(inOptions options: String) -> Set<String> {
        ConnectionString.parameterNames(inOptions: options)
    }
}
