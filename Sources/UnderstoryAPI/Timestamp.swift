import CivilTime
import Foundation

/// An instant as the API sends it (RFC 3339 `date-time`), kept exactly: whole seconds since the
/// Unix epoch plus nanoseconds, so equal API timestamps compare equal and nothing is lost to
/// `Double` rounding (watermarks depend on it).
///
/// Parses `2019-08-24T14:15:22Z`, `2019-08-24T14:15:22.123456Z`, any offset (`+02:00`, `-0530`),
/// lowercase `t`/`z` or a space separator, and up to nanosecond (longer fractions truncated).
public struct Timestamp: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// Seconds since 1970-01-01T00:00:00Z.
    public var secondsSinceEpoch: Int64
    /// 0 ..< 1_000_000_000.
    public var nanoseconds: Int32

    public init(secondsSinceEpoch: Int64, nanoseconds: Int32 = 0) {
        let carry = Int64(nanoseconds) / 1_000_000_000
        var nanos = Int64(nanoseconds) % 1_000_000_000
        var seconds = secondsSinceEpoch + carry
        if nanos < 0 {
            nanos += 1_000_000_000
            seconds -= 1
        }
        self.secondsSinceEpoch = seconds
        self.nanoseconds = Int32(nanos)
    }

    /// The instant of `date`, rounded to the microsecond (a `Date` carries no more precision).
    public init(_ date: Date) {
        let micros = (date.timeIntervalSince1970 * 1_000_000).rounded()
        let seconds = (micros / 1_000_000).rounded(.down)
        self.init(secondsSinceEpoch: Int64(seconds), nanoseconds: Int32((micros - seconds * 1_000_000) * 1000))
    }

    /// Parses an RFC 3339 date-time; `nil` when malformed or without an offset.
    public init?(rfc3339 text: String) {
        var reader = ASCIIReader(text)
        guard case let (y, mo, d)? = reader.date(),
            reader.expect(oneOf: [UInt8(ascii: "T"), UInt8(ascii: "t"), UInt8(ascii: " ")]),
            case let (h, mi, s, nanos)? = reader.time(requireSeconds: true),
            let offset = reader.utcOffset(), reader.isAtEnd
        else { return nil }
        let days = Int64(CivilCalendar.daysFromCivil(year: y, month: mo, day: d))
        let seconds = days * 86_400 + Int64(h * 3600 + mi * 60 + min(s, 59)) - Int64(offset)
        self.init(secondsSinceEpoch: seconds, nanoseconds: Int32(nanos))
    }

    public var date: Date {
        Date(timeIntervalSince1970: TimeInterval(secondsSinceEpoch) + TimeInterval(nanoseconds) / 1e9)
    }

    /// RFC 3339 in UTC with the shortest exact fraction: `2024-05-01T10:00:00Z`,
    /// `2024-05-01T10:00:00.1234Z`. Suitable for PostgreSQL `timestamptz` input (which keeps
    /// microseconds).
    public var rfc3339: String {
        var text = wholeSeconds
        if nanoseconds != 0 {
            var fraction = pad(Int(nanoseconds), 9)
            while fraction.hasSuffix("0") { fraction.removeLast() }
            text += "." + fraction
        }
        return text + "Z"
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`, the form the API accepts in `from`/`to` (fraction dropped).
    public var queryString: String { wholeSeconds + "Z" }

    /// This instant rounded up to the next whole second (unchanged when already whole).
    var ceilingToSecond: Timestamp {
        nanoseconds == 0 ? self : Timestamp(secondsSinceEpoch: secondsSinceEpoch + 1)
    }

    private var wholeSeconds: String {
        let days = Int(secondsSinceEpoch >= 0 ? secondsSinceEpoch / 86_400 : (secondsSinceEpoch - 86_399) / 86_400)
        let secondOfDay = Int(secondsSinceEpoch - Int64(days) * 86_400)
        let (y, m, d) = CivilCalendar.civilFromDays(days)
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2))"
    }

    public var description: String { rfc3339 }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        (lhs.secondsSinceEpoch, lhs.nanoseconds) < (rhs.secondsSinceEpoch, rhs.nanoseconds)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let value = Timestamp(rfc3339: text) else {
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "expected an RFC 3339 date-time with offset, got \"\(text.prefix(64))\""
            )
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rfc3339)
    }
}

/// A wall-clock date-time without a zone (`2025-01-15T09:00:00`), as used for event windows and
/// session start/end times, which are local to the event's time zone.
///
/// Parses `YYYY-MM-DDTHH:MM[:SS[.fff]]`. Should the API ever append an offset, it is tolerated and
/// kept in ``utcOffsetSeconds``; it never takes part in comparisons of the local time.
public struct LocalDateTime: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int
    public var hour: Int
    public var minute: Int
    public var second: Int
    public var nanosecond: Int
    /// An offset that came with the text, if any (not part of the API's documented format).
    public var utcOffsetSeconds: Int?

    /// Validates the fields; `nil` for an impossible date or time.
    public init?(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0, nanosecond: Int = 0) {
        guard (1...9999).contains(year), (1...12).contains(month),
            day >= 1, day <= CivilCalendar.daysInMonth(year: year, month: month),
            (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second),
            (0..<1_000_000_000).contains(nanosecond)
        else { return nil }
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
        self.second = second
        self.nanosecond = nanosecond
        self.utcOffsetSeconds = nil
    }

    public init?(_ text: String) {
        var reader = ASCIIReader(text)
        guard case let (y, mo, d)? = reader.date() else { return nil }
        var time = (hour: 0, minute: 0, second: 0, nanosecond: 0)
        if reader.expect(oneOf: [UInt8(ascii: "T"), UInt8(ascii: "t"), UInt8(ascii: " ")]) {
            guard let t = reader.time(requireSeconds: false) else { return nil }
            time = t
        }
        var offset: Int?
        if !reader.isAtEnd {
            guard let o = reader.utcOffset(), reader.isAtEnd else { return nil }
            offset = o
        }
        self.init(year: y, month: mo, day: d, hour: time.hour, minute: time.minute, second: time.second, nanosecond: time.nanosecond)
        self.utcOffsetSeconds = offset
    }

    /// The local date-time interpreted as UTC wall time (useful for arithmetic, not an instant).
    public init(utcWallTimeOf timestamp: Timestamp) {
        let s = timestamp.secondsSinceEpoch
        let days = Int(s >= 0 ? s / 86_400 : (s - 86_399) / 86_400)
        let secondOfDay = Int(s - Int64(days) * 86_400)
        let (y, m, d) = CivilCalendar.civilFromDays(days)
        self.year = y
        self.month = m
        self.day = d
        self.hour = secondOfDay / 3600
        self.minute = secondOfDay / 60 % 60
        self.second = secondOfDay % 60
        self.nanosecond = Int(timestamp.nanoseconds)
        self.utcOffsetSeconds = nil
    }

    /// `YYYY-MM-DDTHH:MM:SS` — the form sent as an event window bound (fraction dropped).
    public var queryString: String {
        "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2))"
    }

    /// `YYYY-MM-DDTHH:MM:SS[.fff]` — exact (PostgreSQL `timestamp` input).
    public var description: String {
        guard nanosecond != 0 else { return queryString }
        var fraction = pad(nanosecond, 9)
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return queryString + "." + fraction
    }

    public static func < (lhs: LocalDateTime, rhs: LocalDateTime) -> Bool {
        let l = (lhs.year, lhs.month, lhs.day, lhs.hour, lhs.minute, lhs.second)
        let r = (rhs.year, rhs.month, rhs.day, rhs.hour, rhs.minute, rhs.second)
        return l != r ? l < r : lhs.nanosecond < rhs.nanosecond
    }

    public static func == (lhs: LocalDateTime, rhs: LocalDateTime) -> Bool {
        !(lhs < rhs) && !(rhs < lhs)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(year)
        hasher.combine(month)
        hasher.combine(day)
        hasher.combine(hour)
        hasher.combine(minute)
        hasher.combine(second)
        hasher.combine(nanosecond)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let value = LocalDateTime(text) else {
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "expected a local date-time YYYY-MM-DDTHH:MM:SS, got \"\(text.prefix(64))\""
            )
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
