/// Finds, in one pass over a list body (`{"next": "…", "items": [ … ]}`), the byte ranges of the
/// elements of the top-level `items` array and the value of the top-level `next`, without
/// building any JSON tree.
///
/// The scanner walks with ``JSONWalk`` (string-aware, brackets matched on an explicit stack, no
/// recursion, depth capped), and is linear in the body size. It validates the envelope and the
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

    static let maxDepth = JSONWalk.maxDepth

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

    // MARK: - Walking (JSONWalk)

    private mutating func skipValue() throws(Failure) {
        do {
            try JSONWalk.skipValue(bytes, &index, end: bytes.count)
        } catch {
            throw Failure(message: error.message, offset: error.offset)
        }
    }

    /// Skips a string starting at the opening quote; returns whether it contains escapes.
    private mutating func skipString() throws(Failure) -> Bool {
        do {
            return try JSONWalk.skipString(bytes, &index, end: bytes.count)
        } catch {
            throw Failure(message: error.message, offset: error.offset)
        }
    }

    private mutating func skipLiteral(_ literal: StaticString) throws(Failure) {
        guard JSONWalk.skipLiteral(bytes, &index, end: bytes.count, literal) else { throw failure("invalid literal") }
    }

    // MARK: - Helpers

    private var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func consume(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    private mutating func skipWhitespace() {
        JSONWalk.skipWhitespace(bytes, &index, end: bytes.count)
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
