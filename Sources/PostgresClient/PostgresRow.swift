import Foundation

/// The rows a statement returned, copied out of libpq's `PGresult` (which is cleared at once).
public struct PostgresResult: Sendable {
    /// Column names, in order.
    public let columns: [String]
    /// The rows, each a list of text-format values (`nil` is SQL NULL).
    public let rows: [PostgresRow]
    /// The command tag, e.g. `INSERT 0 3` or `UPDATE 2`.
    public let commandTag: String
    /// Rows affected by INSERT/UPDATE/DELETE/MERGE/COPY/SELECT (from `PQcmdTuples`), or 0.
    public let affectedRows: Int

    /// The first row, if any.
    public var first: PostgresRow? { rows.first }
}

/// One row of a ``PostgresResult``. Read columns by name or position.
public struct PostgresRow: Sendable {
    let columnIndex: [String: Int]
    public let values: [String?]

    public subscript(_ name: String) -> PostgresCell {
        guard let index = columnIndex[name] else { return PostgresCell(column: name, text: nil, missing: true) }
        return PostgresCell(column: name, text: values[index], missing: false)
    }

    public subscript(_ index: Int) -> PostgresCell {
        let name = columnIndex.first { $0.value == index }?.key ?? "#\(index)"
        guard values.indices.contains(index) else { return PostgresCell(column: name, text: nil, missing: true) }
        return PostgresCell(column: name, text: values[index], missing: false)
    }
}

/// One value of a row, in PostgreSQL's text format, with typed accessors.
public struct PostgresCell: Sendable {
    public let column: String
    /// The text the server sent; `nil` for SQL NULL.
    public let text: String?
    let missing: Bool

    public var isNull: Bool { text == nil }

    /// Converts the value, throwing a ``PostgresError`` with code `.decodingFailed` naming the column.
    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self) throws -> T {
        if missing {
            throw PostgresError(code: .decodingFailed, message: "no column named \"\(column)\" in the result")
        }
        guard let text else {
            throw PostgresError(code: .decodingFailed, message: "column \"\(column)\" is NULL, expected \(T.self)")
        }
        guard let value = T(postgresText: text) else {
            throw PostgresError(code: .decodingFailed, message: "column \"\(column)\" is not a valid \(T.self)")
        }
        return value
    }

    /// Converts the value, or `nil` for SQL NULL.
    public func decode<T: PostgresDecodable>(_ type: T?.Type) throws -> T? {
        if text == nil && !missing { return nil }
        return try decode(T.self)
    }

    public var string: String? { text }
    public var int: Int? { text.flatMap { Int($0) } }
    public var int64: Int64? { text.flatMap { Int64($0) } }
    public var double: Double? { text.flatMap { Double(postgresText: $0) } }
    public var bool: Bool? { text.flatMap { Bool(postgresText: $0) } }
    public var decimal: Decimal? { text.flatMap { Decimal(postgresText: $0) } }
    public var date: Date? { text.flatMap { Date(postgresText: $0) } }
    public var bytes: [UInt8]? { text.flatMap { PostgresBytes(postgresText: $0)?.bytes } }
}

/// A Swift type that can be read from PostgreSQL's text format.
public protocol PostgresDecodable: Sendable {
    init?(postgresText: String)
}

extension String: PostgresDecodable {
    public init?(postgresText: String) { self = postgresText }
}

extension Int: PostgresDecodable {
    public init?(postgresText: String) { self.init(postgresText) }
}

extension Int64: PostgresDecodable {
    public init?(postgresText: String) { self.init(postgresText) }
}

extension Int32: PostgresDecodable {
    public init?(postgresText: String) { self.init(postgresText) }
}

extension Double: PostgresDecodable {
    public init?(postgresText: String) {
        switch postgresText {
        case "NaN": self = .nan
        case "Infinity": self = .infinity
        case "-Infinity": self = -.infinity
        default: self.init(postgresText)
        }
    }
}

extension Bool: PostgresDecodable {
    public init?(postgresText: String) {
        switch postgresText {
        case "t", "true": self = true
        case "f", "false": self = false
        default: return nil
        }
    }
}

extension Decimal: PostgresDecodable {
    public init?(postgresText: String) {
        guard let value = Decimal(string: postgresText, locale: nil), !value.isNaN || postgresText == "NaN" else { return nil }
        self = value
    }
}

extension Date: PostgresDecodable {
    public init?(postgresText: String) {
        guard let date = PostgresTimestamp.parse(postgresText) else { return nil }
        self = date
    }
}

extension PostgresBytes: PostgresDecodable {
    /// Parses `bytea` hex output (`\x0a1b…`).
    public init?(postgresText: String) {
        let text = Array(postgresText.utf8)
        guard text.count >= 2, text[0] == UInt8(ascii: "\\"), text[1] == UInt8(ascii: "x"), text.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: return c - 48
            case 97...102: return c - 87
            case 65...70: return c - 55
            default: return nil
            }
        }
        var bytes = [UInt8]()
        bytes.reserveCapacity((text.count - 2) / 2)
        var i = 2
        while i < text.count {
            guard let hi = nibble(text[i]), let lo = nibble(text[i + 1]) else { return nil }
            bytes.append(hi << 4 | lo)
            i += 2
        }
        self.init(bytes)
    }
}

extension PostgresJSON: PostgresDecodable {
    public init?(postgresText: String) { self.init(postgresText) }
}
