/// Strict JSON syntax (RFC 8259) of one value, checked in a single pass without building anything
/// (strings, literals and whitespace walked by ``JSONWalk``; the grammar of values and numbers here).
///
/// ``ByteRangeDecoder`` only reads the fields a model asks for, so this check is what guarantees
/// that an item it decodes is well-formed JSON throughout: anything this rejects is decoded by
/// Foundation's `JSONDecoder` instead, which then decides (and names the problem). Deliberately
/// stricter than needed, never looser: UTF-8 validity is checked apart (by the caller's
/// `String(validating:)`), lone surrogate escapes are accepted here and refused when read.
enum JSONSyntax {
    /// Nesting deeper than this is left to Foundation (the same bound as ``JSONItemScanner``).
    static let maxDepth = JSONWalk.maxDepth

    /// Whether `bytes[range]` is exactly one JSON value, optionally surrounded by whitespace.
    static func isValid(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Bool {
        var reader = Reader(bytes: bytes, index: range.lowerBound, end: range.upperBound)
        return reader.value()
    }

    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var index: Int
        let end: Int

        /// One value and the whitespace around it, up to `end`. Containers are tracked on an
        /// explicit stack (`{` or `[`), so depth costs no recursion.
        mutating func value() -> Bool {
            var open: [UInt8] = []
            var expectingValue = true
            while true {
                skipWhitespace()
                if expectingValue {
                    guard index < end else { return false }
                    switch bytes[index] {
                    case UInt8(ascii: "{"):
                        index += 1
                        skipWhitespace()
                        if consume(UInt8(ascii: "}")) {
                            expectingValue = false
                            continue
                        }
                        guard open.count < maxDepth, member() else { return false }
                        open.append(UInt8(ascii: "{"))
                    case UInt8(ascii: "["):
                        index += 1
                        skipWhitespace()
                        if consume(UInt8(ascii: "]")) {
                            expectingValue = false
                            continue
                        }
                        guard open.count < maxDepth else { return false }
                        open.append(UInt8(ascii: "["))
                    case UInt8(ascii: "\""):
                        guard string() else { return false }
                        expectingValue = false
                    case UInt8(ascii: "t"):
                        guard literal("true") else { return false }
                        expectingValue = false
                    case UInt8(ascii: "f"):
                        guard literal("false") else { return false }
                        expectingValue = false
                    case UInt8(ascii: "n"):
                        guard literal("null") else { return false }
                        expectingValue = false
                    default:
                        guard number() else { return false }
                        expectingValue = false
                    }
                    continue
                }
                guard let innermost = open.last else { return index == end }
                guard index < end else { return false }
                let byte = bytes[index]
                index += 1
                if byte == UInt8(ascii: ",") {
                    if innermost == UInt8(ascii: "{") {
                        skipWhitespace()
                        guard member() else { return false }
                    }
                    expectingValue = true
                } else if byte == UInt8(ascii: "}") && innermost == UInt8(ascii: "{")
                    || byte == UInt8(ascii: "]") && innermost == UInt8(ascii: "[")
                {
                    open.removeLast()
                } else {
                    return false
                }
            }
        }

        /// `"key" :` (the value follows).
        mutating func member() -> Bool {
            guard index < end, bytes[index] == UInt8(ascii: "\""), string() else { return false }
            skipWhitespace()
            return consume(UInt8(ascii: ":"))
        }

        /// A string from its opening quote (``JSONWalk``): no raw control characters, only the escapes JSON has.
        mutating func string() -> Bool {
            let start = index
            guard let escaped = try? JSONWalk.skipString(bytes, &index, end: end) else { return false }
            return !escaped || escapesAreValid((start + 1)..<(index - 1))
        }

        /// Whether every `\` in a string's content starts an escape JSON has (`\u` with four hex digits).
        func escapesAreValid(_ content: Range<Int>) -> Bool {
            var i = content.lowerBound
            while i < content.upperBound {
                guard bytes[i] == UInt8(ascii: "\\") else {
                    i += 1
                    continue
                }
                guard i + 1 < content.upperBound else { return false }
                switch bytes[i + 1] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                    UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    i += 2
                case UInt8(ascii: "u"):
                    guard i + 6 <= content.upperBound else { return false }
                    for offset in 2..<6 where !isHexDigit(bytes[i + offset]) { return false }
                    i += 6
                default:
                    return false
                }
            }
            return true
        }

        /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
        mutating func number() -> Bool {
            _ = consume(UInt8(ascii: "-"))
            if consume(UInt8(ascii: "0")) {
                // no leading zeros
            } else {
                guard index < end, (UInt8(ascii: "1")...UInt8(ascii: "9")).contains(bytes[index]) else { return false }
                skipDigits()
            }
            if consume(UInt8(ascii: ".")) {
                guard skipDigits() else { return false }
            }
            if consume(UInt8(ascii: "e")) || consume(UInt8(ascii: "E")) {
                if !consume(UInt8(ascii: "+")) { _ = consume(UInt8(ascii: "-")) }
                guard skipDigits() else { return false }
            }
            return true
        }

        /// Skips digits; whether there was at least one.
        @discardableResult
        mutating func skipDigits() -> Bool {
            let start = index
            while index < end, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            return index > start
        }

        mutating func literal(_ text: StaticString) -> Bool {
            JSONWalk.skipLiteral(bytes, &index, end: end, text)
        }

        mutating func consume(_ byte: UInt8) -> Bool {
            guard index < end, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        mutating func skipWhitespace() {
            JSONWalk.skipWhitespace(bytes, &index, end: end)
        }

        func isHexDigit(_ byte: UInt8) -> Bool {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"), UInt8(ascii: "A")...UInt8(ascii: "F"):
                return true
            default:
                return false
            }
        }
    }
}
