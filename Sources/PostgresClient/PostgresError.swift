/// An error from PostgreSQL or from libpq.
///
/// Shaped like postgres-nio's `PSQLError`: one struct with an extensible ``Code`` and the context
/// the server gave (SQLSTATE, detail, hint, constraint). `description` is one line suitable for a
/// command line, a log or a status table: it never contains a password, the values of query
/// parameters or the server's `DETAIL` (which can quote row values, e.g. "Failing row contains
/// (…)"); it names the SQLSTATE, table and constraint instead. `String(reflecting:)` adds the detail.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// The connection could not be established (server down, bad host, authentication failed).
        public static let connectionFailed = Code("connectionFailed")
        /// The connection broke while in use.
        public static let connectionLost = Code("connectionLost")
        /// The server rejected a statement; ``PostgresError/sqlState`` says why.
        public static let server = Code("server")
        /// A `COPY … FROM STDIN` could not be streamed.
        public static let copyFailed = Code("copyFailed")
        /// A value in a result could not be converted to the requested Swift type.
        public static let decodingFailed = Code("decodingFailed")
        /// The connection was used after ``PostgresConnection/close()``.
        public static let connectionClosed = Code("connectionClosed")
        /// libpq cannot parse the connection string (the message never shows its password).
        public static let invalidConnectionString = Code("invalidConnectionString")

        public var description: String { name }
    }

    public var code: Code
    /// The five-character SQLSTATE, when the server sent one (see ``SQLState``).
    public var sqlState: SQLState?
    /// The server's (or libpq's) primary message.
    public var message: String
    public var detail: String?
    public var hint: String?
    public var constraint: String?
    /// The schema of ``table``, when the server named one.
    public var schema: String?
    public var table: String?
    public var column: String?
    /// The statement that failed (its text only, never its parameter values).
    public var query: String?

    public init(
        code: Code, message: String, sqlState: SQLState? = nil, detail: String? = nil, hint: String? = nil,
        constraint: String? = nil, schema: String? = nil, table: String? = nil, column: String? = nil, query: String? = nil
    ) {
        self.code = code
        self.message = message
        self.sqlState = sqlState
        self.detail = detail
        self.hint = hint
        self.constraint = constraint
        self.schema = schema
        self.table = table
        self.column = column
        self.query = query
    }

    public var description: String {
        var text = message
        var context = [String]()
        if let sqlState { context.append("SQLSTATE \(sqlState.rawValue)") }
        if let table { context.append("table \(schema.map { "\($0)." } ?? "")\(table)") }
        if let constraint { context.append("constraint \(constraint)") }
        if !context.isEmpty { text += " (\(context.joined(separator: ", ")))" }
        if let hint { text += " Hint: \(hint)" }
        return text.replacingNewlines()
    }
}

extension PostgresError: CustomDebugStringConvertible {
    /// The description plus the server's `DETAIL`: for a developer's eyes, never for tables or logs.
    public var debugDescription: String {
        description + (detail.map { " Detail: \($0)".replacingNewlines() } ?? "")
    }
}

extension String {
    /// Folds a multi-line libpq message into one line for logs and stderr.
    func replacingNewlines() -> String {
        split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
    }
}

import Foundation
