/// Finds, in one pass over a list body (`{"next": "…", "items": [ … ]}`), the byte ranges of the
/// elements of the top-level `items` array and the value of the top-level `next`, without
/// building any JSON tree.
///
/// The scanner is string-aware (quotes, backslash escapes, brackets inside strings), matches
/// brackets with an explicit stack (no recursion, so hostile nesting cannot overflow the call
/// stack; depth is capped), and is linear in the body size. It validates the envelope and the
/// bracket structure only; each element is then fully validated by the decoder.
struct JSONItemScanner {
    struct Failure: Error, Sendable, CustomStringConvertible {
        var message: String
        var offset: Int
        var description: String { "\(message) at byte \(offset)" }
    }

    struct ListEnvelope: Sendable {
        /// Byte ranges of the elements of `items`, in order.
        var items: [Range<Int>]
        /// The decoded `next` value: `nil` when absent or `null`.
        var next: String?
    }

    static let maxDepth = 512

    private let bytes: UnsafeRawBufferPointer
    private var index = 0

    private init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// Scans a list envelope. `items` must be present and an array.
    static func scanList(_ bytes: UnsafeRawBufferPointer) throws(Failure) -> ListEnvelope {
        var scanner = JSONItemScanner(bytes)
        return try scanner.scanEnvelope()
    }

    /// The range of the single top-level value of `bytes`, whitespace trimmed (for one-object bodies).
    static func scanSingleValue(_ bytes: UnsafeRawBufferPointer) throws(Failure) -> Range<Int> {
        var scanner = JSONItemScanner(bytes)
        scanner.skipWhitespace()
        let start = scanner.index
        try scanner.skipValue()
        let end = scanner.index
        scanner.skipWhitespace()
        guard scanner.index == bytes.count else { throw scanner.failure("trailing data after the JSON value") }
        return start..<end
    }

    // MARK: - Envelope

    private mutating func scanEnvelope() throws(Failure) -> ListEnvelope {
        skipWhitespace()
        guard consume(UInt8(ascii: "{")) else { throw failure("expected a JSON object") }
        var items: [Range<Int>]?
        var next: String?
        skipWhitespace()
        if !consume(UInt8(ascii: "}")) {
            while true {
                skipWhitespace()
                guard peek == UInt8(ascii: "\"") else { throw failure("expected an object key") }
                let key = try scanKey()
                skipWhitespace()
                guard consume(UInt8(ascii: ":")) else { throw failure("expected ':' after a key") }
                skipWhitespace()
                switch key {
                case .items:
                    guard items == nil else { throw failure("duplicate \"items\"") }
                    items = try scanItemsArray()
                case .next:
                    next = try scanNext()
                case .other:
                    try skipValue()
                }
                skipWhitespace()
                if consume(UInt8(ascii: ",")) { continue }
                if consume(UInt8(ascii: "}")) { break }
                throw failure("expected ',' or '}' in the top-level object")
            }
        }
        skipWhitespace()
        guard index == bytes.count else { throw failure("trailing data after the top-level object") }
        guard let items else { throw failure("no \"items\" array in the response") }
        return ListEnvelope(items: items, next: next)
    }

    private enum Key { case items, next, other }

    private mutating func scanKey() throws(Failure) -> Key {
        let start = index
        let hasEscapes = try skipString()
        let content = (start + 1)..<(index - 1)
        if hasEscapes {
            switch try Self.unescape(bytes, content, offset: start) {
            case "items": return .items
            case "next": return .next
            default: return .other
            }
        }
        if equals(content, "items") { return .items }
        if equals(content, "next") { return .next }
        return .other
    }

    private func equals(_ range: Range<Int>, _ literal: StaticString) -> Bool {
        guard range.count == literal.utf8CodeUnitCount else { return false }
        let pointer = literal.utf8Start
        for i in 0..<range.count where bytes[range.lowerBound + i] != pointer[i] {
            return false
        }
        return true
    }

    private mutating func scanItemsArray() throws(Failure) -> [Range<Int>] {
        guard consume(UInt8(ascii: "[")) else { throw failure("\"items\" is not an array") }
        var ranges: [Range<Int>] = []
        skipWhitespace()
        if consume(UInt8(ascii: "]")) { return ranges }
        while true {
            skipWhitespace()
            let start = index
            try skipValue()
            ranges.append(start..<index)
            skipWhitespace()
            if consume(UInt8(ascii: ",")) { continue }
            if consume(UInt8(ascii: "]")) { return ranges }
            throw failure("expected ',' or ']' in \"items\"")
        }
    }

    private mutating func scanNext() throws(Failure) -> String? {
        if peek == UInt8(ascii: "n") {
            try skipLiteral("null")
            return nil
        }
        guard peek == UInt8(ascii: "\"") else { throw failure("\"next\" is neither a string nor null") }
        let start = index
        _ = try skipString()
        return try Self.unescape(bytes, (start + 1)..<(index - 1), offset: start)
    }

    // MARK: - Skipping values

    private mutating func skipValue() throws(Failure) {
        guard let byte = peek else { throw failure("unexpected end of input") }
        switch byte {
        case UInt8(ascii: "\""):
            _ = try skipString()
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            try skipContainer()
        case UInt8(ascii: "t"):
            try skipLiteral("true")
        case UInt8(ascii: "f"):
            try skipLiteral("false")
        case UInt8(ascii: "n"):
            try skipLiteral("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            skipNumber()
        default:
            throw failure("unexpected byte 0x\(String(byte, radix: 16))")
        }
    }

    /// Skips an object or array, matching brackets with an explicit stack.
    private mutating func skipContainer() throws(Failure) {
        var closers: [UInt8] = []
        closers.reserveCapacity(16)
        let count = bytes.count
        while index < count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                _ = try skipString()
                continue
            case UInt8(ascii: "{"):
                guard closers.count < Self.maxDepth else { throw failure("nesting deeper than \(Self.maxDepth)") }
                closers.append(UInt8(ascii: "}"))
            case UInt8(ascii: "["):
                guard closers.count < Self.maxDepth else { throw failure("nesting deeper than \(Self.maxDepth)") }
                closers.append(UInt8(ascii: "]"))
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                guard closers.last == byte else { throw failure("mismatched '\(Character(Unicode.Scalar(byte)))'") }
                closers.removeLast()
                if closers.isEmpty {
                    index += 1
                    return
                }
            default:
                break
            }
            index += 1
        }
        throw failure("unterminated object or array")
    }

    /// Skips a string starting at the opening quote; returns whether it contains escapes.
    private mutating func skipString() throws(Failure) -> Bool {
        let start = index
        var i = index + 1
        var escaped = false
        let count = bytes.count
        while i < count {
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
            if byte < 0x20 {
                index = i
                throw failure("unescaped control character in a string")
            }
            i += 1
        }
        index = start
        throw failure("unterminated string")
    }

    private mutating func skipLiteral(_ literal: StaticString) throws(Failure) {
        let n = literal.utf8CodeUnitCount
        guard index + n <= bytes.count, equals(index..<(index + n), literal) else {
            throw failure("invalid literal")
        }
        index += n
    }

    private mutating func skipNumber() {
        while let byte = peek {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."),
                UInt8(ascii: "e"), UInt8(ascii: "E"):
                index += 1
            default:
                return
            }
        }
    }

    // MARK: - Helpers

    private var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func consume(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    private func failure(_ message: String) -> Failure {
        Failure(message: message, offset: index)
    }

    /// Decodes the content of a JSON string (between the quotes) with its escapes.
    static func unescape(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, offset: Int) throws(Failure) -> String {
        do {
            return try JSONEscapes.unescape(bytes, range, loneSurrogates: .replace)
        } catch {
            throw Failure(message: error.message, offset: error.offset)
        }
    }
}
