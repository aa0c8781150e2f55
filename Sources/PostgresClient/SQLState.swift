/// A PostgreSQL SQLSTATE error code. The common ones are named constants.
public struct SQLState: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let uniqueViolation = SQLState(rawValue: "23505")
    public static let foreignKeyViolation = SQLState(rawValue: "23503")
    public static let notNullViolation = SQLState(rawValue: "23502")
    public static let checkViolation = SQLState(rawValue: "23514")
    public static let syntaxError = SQLState(rawValue: "42601")
    public static let undefinedTable = SQLState(rawValue: "42P01")
    public static let undefinedColumn = SQLState(rawValue: "42703")
    public static let invalidSchemaName = SQLState(rawValue: "3F000")
    public static let invalidTextRepresentation = SQLState(rawValue: "22P02")
    public static let badCopyFileFormat = SQLState(rawValue: "22P04")
    public static let numericValueOutOfRange = SQLState(rawValue: "22003")
    public static let invalidPassword = SQLState(rawValue: "28P01")
    public static let invalidAuthorizationSpecification = SQLState(rawValue: "28000")
    public static let serializationFailure = SQLState(rawValue: "40001")
    public static let deadlockDetected = SQLState(rawValue: "40P01")
    public static let queryCanceled = SQLState(rawValue: "57014")
    /// `lock_not_available`: `lock_timeout` expired (or `NOWAIT` found the lock taken).
    public static let lockNotAvailable = SQLState(rawValue: "55P03")
    public static let adminShutdown = SQLState(rawValue: "57P01")
    public static let cannotConnectNow = SQLState(rawValue: "57P03")
    public static let insufficientPrivilege = SQLState(rawValue: "42501")

    /// Class 08: connection exceptions.
    public var isConnectionException: Bool { rawValue.hasPrefix("08") }
    /// Class 22: a value the column type cannot hold (out of range, invalid text, NUL in text).
    public var isDataException: Bool { rawValue.hasPrefix("22") }

    public var description: String { rawValue }
}
