/// The one byte-level walk over JSON text, shared by the list scanner (``JSONItemScanner``), the
/// syntax check (``JSONSyntax``) and the fast decoder (``ByteRangeDecoder``): whitespace, a
/// string, a literal, a number's bytes, and a whole value with its brackets matched.
///
/// Every step moves an index over `bytes[..<end]` and reports what stopped it, so each caller
/// decides what a problem means: the scanner throws it, the syntax check answers false. Brackets
/// are matched on a bit stack (no recursion, no allocation below 64 levels), so hostile nesting
/// cannot overflow anything. The decoder walks text the syntax check already accepted and says so
/// (`validated: true`): the same steps then only find boundaries (no control-character check,
/// brackets counted rather than matched), so no byte is checked twice on the way to a model.
enum JSONWalk {
    /// What stopped a walk that did not reach the value's end, and where (a byte offset).
    struct Problem: Error, Sendable, Equatable {
        var message: String
        var offset: Int
    }

    /// Deeper nesting is refused (by the scanner) or left to Foundation (by the syntax check).
    static let maxDepth = 512

    @inline(__always)
    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }

    @inline(__always)
    static func skipWhitespace(_ bytes: UnsafeRawBufferPointer, _ index: inout Int, end: Int) {
        while index < end, isWhitespace(bytes[index]) { index += 1 }
    }

    /// Moves `index` from a string's opening quote past its closing quote; whether the string
    /// has escapes (`\` and the byte after it are stepped over, not checked: ``JSONSyntax``
    /// checks escapes). A raw control character (unless `validated`) or the end stops it, `index`
    /// at the problem.
    @inline(__always)
    static func skipString(_ bytes: UnsafeRawBufferPointer, _ index: inout Int, end: Int, validated: Bool = false) throws(Problem) -> Bool {
        var i = index + 1
        var escaped = false
        while i < end {
            let byte = bytes[i]
            if byte == UInt8(ascii: "\"") {
                index = i + 1
                return escaped
            }
            if byte == UInt8(ascii: "\\") {
                escaped = true
                i += 2
                continue
            }
            if !validated, byte < 0x20 {
                index = i
                throw Problem(message: "unescaped control character in a string", offset: i)
            }
            i += 1
        }
        throw Problem(message: "unterminated string", offset: index)
    }

    /// Moves `index` past `literal` (`true`, `false`, `null`) if the bytes there are exactly it.
    @inline(__always)
    static func skipLiteral(_ bytes: UnsafeRawBufferPointer, _ index: inout Int, end: Int, _ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard index + count <= end else { return false }
        for offset in 0..<count where bytes[index + offset] != literal.utf8Start[offset] { return false }
        index += count
        return true
    }

    /// Moves `index` over the bytes a number may hold (digits, sign, point, exponent), without
    /// checking their grammar (``JSONSyntax`` does).
    @inline(__always)
    static func skipNumberBytes(_ bytes: UnsafeRawBufferPointer, _ index: inout Int, end: Int) {
        while index < end {
            switch bytes[index] {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."),
                UInt8(ascii: "e"), UInt8(ascii: "E"):
                index += 1
            default:
                return
            }
        }
    }

    /// Moves `index` past the value that starts there: a string, a literal, a number's bytes, or
    /// an object or array up to its matching bracket (strings inside skipped whole). `validated`:
    /// the text passed ``JSONSyntax``, so only the boundaries are found.
    @inline(__always)
    static func skipValue(_ bytes: UnsafeRawBufferPointer, _ index: inout Int, end: Int, validated: Bool = false) throws(Problem) {
        guard index < end else { throw Problem(message: "unexpected end of input", offset: index) }
        let byte = bytes[index]
        switch byte {
        case UInt8(ascii: "\""):
            _ = try skipString(bytes, &index, end: end, validated: validated)
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            try skipContainer(bytes, &index, end: end, validated: validated)
        case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
            let literal: StaticString = byte == UInt8(ascii: "t") ? "true" : byte == UInt8(ascii: "f") ? "false" : "null"
            guard skipLiteral(bytes, &index, end: end, literal) else { throw Problem(message: "invalid literal", offset: index) }
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            skipNumberBytes(bytes, &index, end: end)
        default:
            throw Problem(message: "unexpected byte 0x\(String(byte, radix: 16))", offset: index)
        }
    }

    /// Skips an object or array from its opening bracket to the bracket that closes it. In
    /// `validated` text the brackets are known to match, so their depth is all that is kept.
    @inline(__always)
    private static func skipContainer(_ bytes: UnsafeRawBufferPointer, _ index: inout Int, end: Int, validated: Bool) throws(Problem) {
        var open = BracketStack()
        while index < end {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                _ = try skipString(bytes, &index, end: end, validated: validated)
                continue
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                if validated {
                    open.depth += 1
                } else {
                    guard open.depth < maxDepth else { throw Problem(message: "nesting deeper than \(maxDepth)", offset: index) }
                    open.push(object: byte == UInt8(ascii: "{"))
                }
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                if validated {
                    open.depth -= 1
                } else {
                    guard open.depth > 0, open.popIsObject() == (byte == UInt8(ascii: "}")) else {
                        throw Problem(message: "mismatched '\(Character(Unicode.Scalar(byte)))'", offset: index)
                    }
                }
                if open.depth == 0 {
                    index += 1
                    return
                }
            default:
                break
            }
            index += 1
        }
        throw Problem(message: "unterminated object or array", offset: index)
    }

    /// Which brackets are open, innermost last: one bit per level, in a word for the first 64
    /// levels (no allocation for any real document) and an array beyond.
    private struct BracketStack {
        /// Levels open; moved by hand (without the bits) when the text is validated.
        var depth = 0
        private var bits: UInt64 = 0
        private var deeper: [Bool] = []

        mutating func push(object: Bool) {
            if depth < 64 {
                if object { bits |= 1 << UInt64(depth) } else { bits &= ~(1 << UInt64(depth)) }
            } else {
                deeper.append(object)
            }
            depth += 1
        }

        /// Closes the innermost level; whether it was an object.
        mutating func popIsObject() -> Bool {
            depth -= 1
            if depth < 64 { return bits & (1 << UInt64(depth)) != 0 }
            return deeper.removeLast()
        }
    }
}
