import Foundation

/// PostgreSQL cannot store U+0000 in `text` or `jsonb`, and JSON can carry it as the escape
/// `\u0000`. Replacing that escape with `\ufffd` (the same six bytes' length) in place keeps every
/// item's byte range valid, so raw text and decoded fields both carry U+FFFD and nothing else moves.
///
/// Only a backslash that starts an escape counts: `\\u0000` is an escaped backslash followed by
/// the text `u0000`, and is left alone. Scanning from any point outside a string pairs escapes
/// correctly, since a backslash only ever occurs inside strings.
enum NULEscapes {
    /// Offsets of the backslashes that start a `\u0000` escape; empty (the common case) after one
    /// read-only pass that stops only at backslashes.
    static func find(in bytes: UnsafeRawBufferPointer) -> [Int] {
        var offsets: [Int] = []
        let count = bytes.count
        guard count >= 6, let base = bytes.baseAddress else { return offsets }
        var index = 0
        while index < count - 1 {
            guard let found = memchr(base + index, 0x5C, count - index) else { break }
            let at = base.distance(to: UnsafeRawPointer(found))
            guard at + 1 < count else { break }
            if at + 5 < count, bytes[at + 1] == UInt8(ascii: "u"), bytes[at + 2] == UInt8(ascii: "0"),
                bytes[at + 3] == UInt8(ascii: "0"), bytes[at + 4] == UInt8(ascii: "0"), bytes[at + 5] == UInt8(ascii: "0")
            {
                offsets.append(at)
            }
            // Skip the escaped character, so `\\` never starts a second escape.
            index = at + 2
        }
        return offsets
    }

    /// A copy of `bytes` with each escape at `offsets` (from ``find(in:)``) turned into `\ufffd`.
    static func replacing(_ offsets: [Int], in bytes: UnsafeRawBufferPointer) -> [UInt8] {
        var copy = [UInt8](bytes)
        for offset in offsets {
            copy[offset + 2] = UInt8(ascii: "f")
            copy[offset + 3] = UInt8(ascii: "f")
            copy[offset + 4] = UInt8(ascii: "f")
            copy[offset + 5] = UInt8(ascii: "d")
        }
        return copy
    }
}
