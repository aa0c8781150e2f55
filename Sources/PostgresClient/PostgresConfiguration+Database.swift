import Foundation

extension PostgresConfiguration {
    /// The same server, credentials and settings, connected to the database `name` instead.
    ///
    /// A `postgresql://` URI gets `name` as its path; a `key=value` string gets a trailing
    /// `dbname=` (libpq lets a later keyword override an earlier one); no string (libpq's `PG*`
    /// variables) becomes `dbname=name` alone.
    public func database(_ name: String) -> PostgresConfiguration {
        var configuration = self
        configuration.connectionString = Self.connectionString(connectionString, database: name)
        return configuration
    }

    static func connectionString(_ text: String?, database name: String) -> String {
        let quoted = "'" + name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
        guard let text, !text.isEmpty else { return "dbname=\(quoted)" }
        let lowered = text.lowercased()
        if lowered.hasPrefix("postgresql://") || lowered.hasPrefix("postgres://"), var components = URLComponents(string: text) {
            components.path = "/" + name
            if let string = components.string { return string }
        }
        return text + " dbname=\(quoted)"
    }
}
