import CivilTime
import Foundation

/// A Swift value that can be sent as a query parameter, in PostgreSQL's text format.
///
/// Values always travel as parameters of `PQexecParams`, never spliced into SQL text.
public protocol PostgresEncodable: Sendable {
    /// The text-format representation PostgreSQL parses for the parameter.
    var postgresText: String { get }
}

extension String: PostgresEncodable {
    public var postgresText: String { self }
}

extension Substring: PostgresEncodable {
    public var postgresText: String { String(self) }
}

extension Int: PostgresEncodable {
    public var postgresText: String { String(self) }
}

extension Int64: PostgresEncodable {
    public var postgresText: String { String(self) }
}

extension Int32: PostgresEncodable {
    public var postgresText: String { String(self) }
}

extension Double: PostgresEncodable {
    public var postgresText: String {
        if isNaN { return "NaN" }
        if isInfinite { return self > 0 ? "Infinity" : "-Infinity" }
        return "\(self)"
    }
}

extension Bool: PostgresEncodable {
    public var postgresText: String { self ? "t" : "f" }
}

extension Decimal: PostgresEncodable {
    public var postgresText: String { NSDecimalNumber(decimal: self).description(withLocale: nil) }
}

extension Date: PostgresEncodable {
    /// RFC 3339 in UTC with microseconds, which `timestamptz` parses exactly.
    public var postgresText: String { PostgresTimestamp.format(self) }
}

/// A `bytea` value.
public struct PostgresBytes: PostgresEncodable, Hashable {
    public var bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public var postgresText: String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(2 + bytes.count * 2)
        text.append(UInt8(ascii: "\\"))
        text.append(UInt8(ascii: "x"))
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}

/// JSON text for a `json`/`jsonb` parameter, passed through unchanged.
public struct PostgresJSON: PostgresEncodable, Hashable {
    public var text: String
    public init(_ text: String) { self.text = text }
    public var postgresText: String { text }
}

/// Formats and parses `timestamptz` text (the connection runs with `DateStyle=ISO` and `TimeZone=UTC`).
enum PostgresTimestamp {
    static func format(_ date: Date) -> String {
        // Whole seconds and microseconds, computed without floating-point drift at the boundary.
        var seconds = date.timeIntervalSince1970.rounded(.down)
        var micros = Int(((date.timeIntervalSince1970 - seconds) * 1_000_000).rounded())
        if micros >= 1_000_000 { seconds += 1; micros -= 1_000_000 }
        let whole = Int64(seconds)
        var days = whole / 86_400
        var secondOfDay = whole % 86_400
        if secondOfDay < 0 { secondOfDay += 86_400; days -= 1 }
        let (y, m, d) = CivilCalendar.civilFromDays(Int(days))
        let hh = secondOfDay / 3600, mm = (secondOfDay % 3600) / 60, ss = secondOfDay % 60
        func pad(_ v: some BinaryInteger, _ w: Int) -> String {
            let s = String(v)
            return s.count >= w ? s : String(repeating: "0", count: w - s.count) + s
        }
        var text = "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(hh, 2)):\(pad(mm, 2)):\(pad(ss, 2))"
        if micros != 0 { text += "." + pad(Int64(micros), 6) }
        return text + "Z"
    }

    /// Parses PostgreSQL's ISO output, e.g. `2024-02-29 13:14:15.123456+00` or `…+05:30`.
    static func parse(_ text: String) -> Date? {
        let b = Array(text.utf8)
        func num(_ from: Int, _ count: Int) -> Int64? {
            guard from + count <= b.count else { return nil }
            var v: Int64 = 0
            for i in from..<(from + count) {
                let c = b[i]
                guard c >= 48, c <= 57 else { return nil }
                v = v * 10 + Int64(c - 48)
            }
            return v
        }
        guard b.count >= 19, let y = num(0, 4), let mo = num(5, 2), let d = num(8, 2),
              let h = num(11, 2), let mi = num(14, 2), let s = num(17, 2) else { return nil }
        var i = 19
        var fraction = 0.0
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            var scale = 0.1
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                fraction += Double(b[i] - 48) * scale
                scale /= 10
                i += 1
            }
        }
        var offset: Int64 = 0
        if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            let sign: Int64 = b[i] == UInt8(ascii: "-") ? -1 : 1
            i += 1
            guard let oh = num(i, 2) else { return nil }
            var total = oh * 3600
            i += 2
            if i < b.count, b[i] == UInt8(ascii: ":") { i += 1 }
            if let om = num(i, 2) { total += om * 60; i += 2 }
            if i < b.count, b[i] == UInt8(ascii: ":") { i += 1 }
            if let os = num(i, 2) { total += os; i += 2 }
            offset = sign * total
        } else if i < b.count, b[i] == UInt8(ascii: "Z") {
            i += 1
        }
        guard i == b.count else { return nil }
        let days = Int64(CivilCalendar.daysFromCivil(year: Int(y), month: Int(mo), day: Int(d)))
        let seconds = days * 86_400 + h * 3600 + mi * 60 + s - offset
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }
}
