import CivilTime

/// Timestamps are kept as integer microseconds since 1970-01-01T00:00:00Z (`Int64`), which sorts,
/// compares and formats cheaply. Local wall-clock times (event sessions) are kept as seconds since
/// 1970-01-01T00:00:00 *as if* the wall clock were UTC: comparing two of them compares wall-clock times.
enum SimulatorTime {
    static let microsPerSecond: Int64 = 1_000_000
    static let microsPerDay: Int64 = 86_400 * 1_000_000

    static func days(year: Int, month: Int, day: Int) -> Int64 {
        Int64(CivilCalendar.daysFromCivil(year: year, month: month, day: day))
    }

    static func civil(days: Int64) -> (year: Int, month: Int, day: Int) {
        CivilCalendar.civilFromDays(Int(days))
    }

    /// Appends `YYYY-MM-DDTHH:MM:SS` for `seconds` since the epoch.
    static func appendDateTime(seconds: Int64, to out: inout [UInt8]) {
        var days = seconds / 86_400
        var rem = seconds % 86_400
        if rem < 0 {
            rem += 86_400
            days -= 1
        }
        let (y, m, d) = civil(days: days)
        append4(y, &out)
        out.append(UInt8(ascii: "-"))
        append2(m, &out)
        out.append(UInt8(ascii: "-"))
        append2(d, &out)
        out.append(UInt8(ascii: "T"))
        append2(Int(rem / 3600), &out)
        out.append(UInt8(ascii: ":"))
        append2(Int(rem / 60 % 60), &out)
        out.append(UInt8(ascii: ":"))
        append2(Int(rem % 60), &out)
    }

    /// Appends RFC 3339 UTC: no fraction when the value is whole seconds, 3 digits when whole
    /// milliseconds, else 6 digits; always `Z`.
    static func appendRFC3339(micros: Int64, to out: inout [UInt8]) {
        var seconds = micros / microsPerSecond
        var fraction = micros % microsPerSecond
        if fraction < 0 {
            fraction += microsPerSecond
            seconds -= 1
        }
        appendDateTime(seconds: seconds, to: &out)
        if fraction != 0 {
            out.append(UInt8(ascii: "."))
            if fraction % 1000 == 0 {
                appendDigits(Int(fraction / 1000), count: 3, &out)
            } else {
                appendDigits(Int(fraction), count: 6, &out)
            }
        }
        out.append(UInt8(ascii: "Z"))
    }

    static func rfc3339(micros: Int64) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(27)
        appendRFC3339(micros: micros, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    static func local(seconds: Int64) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(19)
        appendDateTime(seconds: seconds, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses exactly `YYYY-MM-DDTHH:MM:SS` followed by `suffix` (e.g. "Z" or ""), validating ranges.
    /// Returns seconds since the epoch, or nil.
    static func parseSeconds(_ text: Substring, suffix: String) -> Int64? {
        let bytes = Array(text.utf8)
        let suffixBytes = Array(suffix.utf8)
        guard bytes.count == 19 + suffixBytes.count else { return nil }
        guard Array(bytes[19...]) == suffixBytes else { return nil }
        func digits(_ from: Int, _ count: Int) -> Int? {
            var value = 0
            for i in from..<(from + count) {
                let c = bytes[i]
                guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(c - UInt8(ascii: "0"))
            }
            return value
        }
        guard bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: "T"),
            bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
            let year = digits(0, 4), let month = digits(5, 2), let day = digits(8, 2),
            let hour = digits(11, 2), let minute = digits(14, 2), let second = digits(17, 2)
        else { return nil }
        guard (1...12).contains(month), day >= 1, day <= daysInMonth(year: year, month: month),
            hour < 24, minute < 60, second < 60
        else { return nil }
        return days(year: year, month: month, day: day) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
    }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    private static func append2(_ v: Int, _ out: inout [UInt8]) {
        out.append(UInt8(ascii: "0") &+ UInt8(v / 10))
        out.append(UInt8(ascii: "0") &+ UInt8(v % 10))
    }

    private static func append4(_ v: Int, _ out: inout [UInt8]) {
        appendDigits(v, count: 4, &out)
    }

    private static func appendDigits(_ v: Int, count: Int, _ out: inout [UInt8]) {
        var divisor = 1
        for _ in 1..<count { divisor *= 10 }
        var value = v
        while divisor > 0 {
            out.append(UInt8(ascii: "0") &+ UInt8(value / divisor % 10))
            value %= divisor
            divisor /= 10
        }
    }
}
