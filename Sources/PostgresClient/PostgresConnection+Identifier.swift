import Foundation

extension PostgresConnection {
    /// Quotes an identifier (schema, table) for SQL text. Values never go through here: they are parameters.
    public static func quoteIdentifier(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
