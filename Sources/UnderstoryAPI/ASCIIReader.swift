import CivilTime

/// A tiny cursor over ASCII bytes for the date parsers.
struct ASCIIReader {
    let bytes: [UInt8]
    var index = 0

    init(_ text: String) { self.bytes = Array(text.utf8) }

    var isAtEnd: Bool { index >= bytes.count }
    var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

    mutating func digits(_ count: Int) -> Int? {
        guard index + count <= bytes.count else { return nil }
        var value = 0
        for i in index..<(index + count) {
            let b = bytes[i]
            guard b >= 48, b <= 57 else { return nil }
            value = value * 10 + Int(b - 48)
        }
        index += count
        return value
    }

    mutating func expect(_ byte: UInt8) -> Bool {
        guard peek == byte else { return false }
        index += 1
        return true
    }

    mutating func expect(oneOf set: [UInt8]) -> Bool {
        guard let b = peek, set.contains(b) else { return false }
        index += 1
        return true
    }

    /// `.ddd…` → nanoseconds (digits beyond the ninth are truncated). Requires at least one digit.
    mutating func fractionNanoseconds() -> Int? {
        guard expect(UInt8(ascii: ".")) || expect(UInt8(ascii: ",")) else { return 0 }
        var nanos = 0
        var count = 0
        while let b = peek, b >= 48, b <= 57 {
            if count < 9 { nanos = nanos * 10 + Int(b - 48) }
            count += 1
            index += 1
        }
        guard count > 0 else { return nil }
        for _ in count..<max(count, 9) { nanos *= 10 }
        return nanos
    }

    /// `Z`, `z`, `+HH:MM`, `-HH:MM` (also `+HHMM`, `+HH`) → offset in seconds east of UTC.
    mutating func utcOffset() -> Int? {
        guard let b = peek else { return nil }
        if b == UInt8(ascii: "Z") || b == UInt8(ascii: "z") {
            index += 1
            return 0
        }
        guard b == UInt8(ascii: "+") || b == UInt8(ascii: "-") else { return nil }
        index += 1
        guard let hours = digits(2), hours <= 23 else { return nil }
        var minutes = 0
        if expect(UInt8(ascii: ":")) {
            guard let m = digits(2) else { return nil }
            minutes = m
        } else if !isAtEnd {
            guard let m = digits(2) else { return nil }
            minutes = m
        }
        guard minutes <= 59 else { return nil }
        let offset = hours * 3600 + minutes * 60
        return b == UInt8(ascii: "-") ? -offset : offset
    }

    /// `YYYY-MM-DD`, validated.
    mutating func date() -> (year: Int, month: Int, day: Int)? {
        guard let y = digits(4), expect(UInt8(ascii: "-")), let m = digits(2), expect(UInt8(ascii: "-")),
            let d = digits(2), (1...12).contains(m), d >= 1, d <= CivilCalendar.daysInMonth(year: y, month: m)
        else { return nil }
        return (y, m, d)
    }

    /// `HH:MM[:SS[.fff]]`, validated (a leap second `60` is accepted and folded by the caller).
    mutating func time(requireSeconds: Bool) -> (hour: Int, minute: Int, second: Int, nanosecond: Int)? {
        guard let h = digits(2), expect(UInt8(ascii: ":")), let m = digits(2), h <= 23, m <= 59 else { return nil }
        var s = 0
        var nanos = 0
        if expect(UInt8(ascii: ":")) {
            guard let sec = digits(2), sec <= 60, let f = fractionNanoseconds() else { return nil }
            s = sec
            nanos = f
        } else if requireSeconds {
            return nil
        }
        return (h, m, s, nanos)
    }
}

@inline(__always)
func pad(_ value: Int, _ width: Int) -> String {
    let s = String(value)
    return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
}
