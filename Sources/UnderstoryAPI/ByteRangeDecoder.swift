import Foundation

/// Decodes a model straight from its item's bytes (the range ``JSONItemScanner`` found), without
/// building a JSON tree, copying the page into `Data`, or hashing keys: an object's members are
/// listed once when the model opens it, and each field is found by comparing key bytes.
///
/// It is a fast path, never a second opinion. It handles the JSON a well-behaved API sends (valid
/// syntax, integer numbers, strings, keys with or without escapes); for anything else — a value of
/// an unexpected type, a fraction where an integer is read, a lone surrogate, a floating-point,
/// `Date`, `Data`, `URL` or `Decimal` field — it gives up, and the caller decodes that item with Foundation's
/// `JSONDecoder`, whose result and error messages are then the ones used. Giving up is sticky
/// (``Session/gaveUp``), so a model that swallows an error (`try?`, ``KeyedDecodingContainer/decodeLeniently(_:forKey:)``)
/// still sends the item to Foundation, and a decoded model is always the one Foundation would
/// decode (`ByteRangeDecoderTests` compares the two).
struct ByteRangeDecoder: Decoder {
    /// Shared by every container of one item's decode.
    final class Session {
        let bytes: UnsafeRawBufferPointer
        /// Set by every failure, including those a model catches.
        var gaveUp = false

        init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

        func giveUp() -> GaveUp {
            gaveUp = true
            return GaveUp()
        }
    }

    /// The fast path cannot decide: use Foundation for this item.
    struct GaveUp: Error {}

    let session: Session
    /// The value's bytes (first to last byte, no surrounding whitespace).
    let range: Range<Int>

    /// The model in `bytes[range]`, or nil when Foundation must decide. The caller has checked
    /// that the bytes are valid UTF-8.
    static func decode<Model: Decodable>(_ type: Model.Type, bytes: UnsafeRawBufferPointer, range: Range<Int>) -> Model? {
        guard JSONSyntax.isValid(bytes, range) else { return nil }
        var start = range.lowerBound, end = range.upperBound
        while start < end, JSONWalk.isWhitespace(bytes[start]) { start += 1 }
        while end > start, JSONWalk.isWhitespace(bytes[end - 1]) { end -= 1 }
        let session = Session(bytes: bytes)
        guard let model = try? ByteRangeDecoder(session: session, range: start..<end).decodeValue(Model.self), !session.gaveUp else {
            return nil
        }
        return model
    }

    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(try KeyedContainer<Key>(session: session, range: range))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try UnkeyedContainer(session: session, range: range)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SingleValueContainer(decoder: self)
    }

    // MARK: - Values

    var first: UInt8 { session.bytes[range.lowerBound] }

    var isNull: Bool { first == UInt8(ascii: "n") }

    func decodeValue<T: Decodable>(_ type: T.Type) throws -> T {
        // Foundation decodes these with strategies of its own: leave them to it.
        if T.self == Date.self || T.self == Data.self || T.self == URL.self || T.self == Decimal.self {
            throw session.giveUp()
        }
        if T.self == String.self { return try string() as! T }
        return try T(from: self)
    }

    func bool() throws -> Bool {
        switch first {
        case UInt8(ascii: "t"): return true
        case UInt8(ascii: "f"): return false
        default: throw session.giveUp()
        }
    }

    /// An integer written without fraction or exponent that fits `T`; anything else gives up.
    func integer<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
        let bytes = session.bytes
        var index = range.lowerBound
        let negative = bytes[index] == UInt8(ascii: "-")
        if negative {
            guard T.isSigned else { throw session.giveUp() }
            index += 1
        }
        guard index < range.upperBound else { throw session.giveUp() }
        var value: T = 0
        while index < range.upperBound {
            let byte = bytes[index]
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { throw session.giveUp() }
            let digit = T(byte &- UInt8(ascii: "0"))
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = negative ? shifted.subtractingReportingOverflow(digit) : shifted.addingReportingOverflow(digit)
            guard !overflow1, !overflow2 else { throw session.giveUp() }
            value = next
            index += 1
        }
        return value
    }

    /// A string's content with its escapes; gives up on anything that is not a string and on
    /// escapes that do not make a valid scalar (lone surrogates).
    func string() throws -> String {
        let bytes = session.bytes
        guard first == UInt8(ascii: "\""), range.count >= 2 else { throw session.giveUp() }
        let content = (range.lowerBound + 1)..<(range.upperBound - 1)
        let slice = UnsafeRawBufferPointer(rebasing: bytes[content])
        guard let base = slice.baseAddress, memchr(base, 0x5C, slice.count) != nil else {
            return String(decoding: slice, as: UTF8.self)
        }
        return try unescaped(content)
    }

    /// The text of string content (between the quotes) with its escapes decoded; gives up on a
    /// lone surrogate (Foundation decides what it means).
    func unescaped(_ content: Range<Int>) throws -> String {
        guard let text = try? JSONEscapes.unescape(session.bytes, content, loneSurrogates: .reject) else { throw session.giveUp() }
        return text
    }

    // MARK: - Walking containers

    /// The members (`key`, `value`) or elements (`value` only) of the container at `range`, in
    /// order, walked with ``JSONWalk``. The syntax was checked before decoding started, so this
    /// only finds boundaries.
    static func children(of range: Range<Int>, in bytes: UnsafeRawBufferPointer, keyed: Bool) -> Members {
        var members = Members()
        var index = range.lowerBound + 1
        let end = range.upperBound - 1
        JSONWalk.skipWhitespace(bytes, &index, end: end)
        while index < end {
            var key = 0..<0
            if keyed {
                let keyStart = index
                if (try? JSONWalk.skipString(bytes, &index, end: end, validated: true)) == true { members.hasEscapedKey = true }
                key = (keyStart + 1)..<(index - 1)
                JSONWalk.skipWhitespace(bytes, &index, end: end)
                index += 1  // ':'
                JSONWalk.skipWhitespace(bytes, &index, end: end)
            }
            let valueStart = index
            try? JSONWalk.skipValue(bytes, &index, end: end, validated: true)
            members.list.append(Member(key: key, value: valueStart..<index))
            JSONWalk.skipWhitespace(bytes, &index, end: end)
            index += 1  // ',' (or the closing bracket: then index passes end)
            JSONWalk.skipWhitespace(bytes, &index, end: end)
        }
        return members
    }

    struct Members {
        var list: [Member] = []
        /// Some key is written with escapes (its bytes are not its name).
        var hasEscapedKey = false
    }

    struct Member {
        /// The key's bytes between its quotes (empty range for array elements).
        var key: Range<Int>
        var value: Range<Int>
    }
}

extension ByteRangeDecoder {
    struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let session: Session
        let members: [Member]
        /// The members' names, unescaped, when some key is written with escapes (then names are
        /// compared as strings); nil in the usual case, where key bytes are compared.
        let escapedNames: [String]?

        init(session: Session, range: Range<Int>) throws {
            guard session.bytes[range.lowerBound] == UInt8(ascii: "{") else { throw session.giveUp() }
            self.session = session
            let members = ByteRangeDecoder.children(of: range, in: session.bytes, keyed: true)
            self.members = members.list
            if members.hasEscapedKey {
                let decoder = ByteRangeDecoder(session: session, range: range)
                escapedNames = try members.list.map { try decoder.unescaped($0.key) }
            } else {
                escapedNames = nil
            }
        }

        var codingPath: [any CodingKey] { [] }

        var allKeys: [Key] {
            var keys: [Key] = []
            var seen: Set<String> = []
            for index in members.indices {
                let name = name(at: index)
                guard seen.insert(name).inserted, let key = Key(stringValue: name) else { continue }
                keys.append(key)
            }
            return keys
        }

        private func name(at index: Int) -> String {
            escapedNames?[index] ?? String(decoding: UnsafeRawBufferPointer(rebasing: session.bytes[members[index].key]), as: UTF8.self)
        }

        /// The first member named `key` (Foundation's choice when a key repeats). An ASCII name
        /// is compared byte for byte; any other by `String` equality, as Foundation compares.
        private func value(_ key: Key) throws -> Range<Int>? {
            if let escapedNames {
                let name = key.stringValue
                return escapedNames.firstIndex(of: name).map { members[$0].value }
            }
            var name = key.stringValue
            return name.withUTF8 { wanted -> Range<Int>? in
                let bytes = session.bytes
                if wanted.contains(where: { $0 >= 0x80 }) {
                    let name = key.stringValue
                    return members.first { String(decoding: UnsafeRawBufferPointer(rebasing: bytes[$0.key]), as: UTF8.self) == name }?.value
                }
                for member in members where member.key.count == wanted.count {
                    if let keyBase = bytes.baseAddress, let wantedBase = wanted.baseAddress,
                        memcmp(keyBase + member.key.lowerBound, wantedBase, wanted.count) != 0
                    {
                        continue
                    }
                    return member.value
                }
                return nil
            }
        }

        private func decoder(_ key: Key) throws -> ByteRangeDecoder {
            guard let range = try value(key) else { throw session.giveUp() }
            return ByteRangeDecoder(session: session, range: range)
        }

        func contains(_ key: Key) -> Bool {
            (try? value(key)) != nil
        }

        func decodeNil(forKey key: Key) throws -> Bool { try decoder(key).isNull }
        func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try decoder(key).bool() }
        func decode(_ type: String.Type, forKey key: Key) throws -> String { try decoder(key).string() }
        func decode(_ type: Double.Type, forKey key: Key) throws -> Double { throw session.giveUp() }
        func decode(_ type: Float.Type, forKey key: Key) throws -> Float { throw session.giveUp() }
        func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try decoder(key).integer(type) }
        func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try decoder(key).integer(type) }
        func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try decoder(key).integer(type) }
        func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try decoder(key).integer(type) }
        func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try decoder(key).integer(type) }
        func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try decoder(key).integer(type) }
        func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try decoder(key).integer(type) }
        func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try decoder(key).integer(type) }
        func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try decoder(key).integer(type) }
        func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try decoder(key).integer(type) }

        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            let decoder = try decoder(key)
            guard !decoder.isNull else { throw session.giveUp() }
            return try decoder.decodeValue(type)
        }

        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
            try decoder(key).container(keyedBy: type)
        }

        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
            try decoder(key).unkeyedContainer()
        }

        func superDecoder() throws -> any Decoder { throw session.giveUp() }
        func superDecoder(forKey key: Key) throws -> any Decoder { throw session.giveUp() }
    }

    struct UnkeyedContainer: UnkeyedDecodingContainer {
        let session: Session
        let elements: [Member]
        private(set) var currentIndex = 0

        init(session: Session, range: Range<Int>) throws {
            guard session.bytes[range.lowerBound] == UInt8(ascii: "[") else { throw session.giveUp() }
            self.session = session
            self.elements = ByteRangeDecoder.children(of: range, in: session.bytes, keyed: false).list
        }

        var codingPath: [any CodingKey] { [] }
        var count: Int? { elements.count }
        var isAtEnd: Bool { currentIndex >= elements.count }

        private mutating func next() throws -> ByteRangeDecoder {
            guard !isAtEnd else { throw session.giveUp() }
            defer { currentIndex += 1 }
            return ByteRangeDecoder(session: session, range: elements[currentIndex].value)
        }

        mutating func decodeNil() throws -> Bool {
            guard !isAtEnd else { throw session.giveUp() }
            guard ByteRangeDecoder(session: session, range: elements[currentIndex].value).isNull else { return false }
            currentIndex += 1
            return true
        }

        mutating func decode(_ type: Bool.Type) throws -> Bool { try next().bool() }
        mutating func decode(_ type: String.Type) throws -> String { try next().string() }
        mutating func decode(_ type: Double.Type) throws -> Double { throw session.giveUp() }
        mutating func decode(_ type: Float.Type) throws -> Float { throw session.giveUp() }
        mutating func decode(_ type: Int.Type) throws -> Int { try next().integer(type) }
        mutating func decode(_ type: Int8.Type) throws -> Int8 { try next().integer(type) }
        mutating func decode(_ type: Int16.Type) throws -> Int16 { try next().integer(type) }
        mutating func decode(_ type: Int32.Type) throws -> Int32 { try next().integer(type) }
        mutating func decode(_ type: Int64.Type) throws -> Int64 { try next().integer(type) }
        mutating func decode(_ type: UInt.Type) throws -> UInt { try next().integer(type) }
        mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try next().integer(type) }
        mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try next().integer(type) }
        mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try next().integer(type) }
        mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try next().integer(type) }

        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
            let decoder = try next()
            guard !decoder.isNull else { throw session.giveUp() }
            return try decoder.decodeValue(type)
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
            try next().container(keyedBy: type)
        }

        mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
            try next().unkeyedContainer()
        }

        mutating func superDecoder() throws -> any Decoder { throw session.giveUp() }
    }

    struct SingleValueContainer: SingleValueDecodingContainer {
        let decoder: ByteRangeDecoder

        var codingPath: [any CodingKey] { [] }

        func decodeNil() -> Bool { decoder.isNull }
        func decode(_ type: Bool.Type) throws -> Bool { try decoder.bool() }
        func decode(_ type: String.Type) throws -> String { try decoder.string() }
        func decode(_ type: Double.Type) throws -> Double { throw decoder.session.giveUp() }
        func decode(_ type: Float.Type) throws -> Float { throw decoder.session.giveUp() }
        func decode(_ type: Int.Type) throws -> Int { try decoder.integer(type) }
        func decode(_ type: Int8.Type) throws -> Int8 { try decoder.integer(type) }
        func decode(_ type: Int16.Type) throws -> Int16 { try decoder.integer(type) }
        func decode(_ type: Int32.Type) throws -> Int32 { try decoder.integer(type) }
        func decode(_ type: Int64.Type) throws -> Int64 { try decoder.integer(type) }
        func decode(_ type: UInt.Type) throws -> UInt { try decoder.integer(type) }
        func decode(_ type: UInt8.Type) throws -> UInt8 { try decoder.integer(type) }
        func decode(_ type: UInt16.Type) throws -> UInt16 { try decoder.integer(type) }
        func decode(_ type: UInt32.Type) throws -> UInt32 { try decoder.integer(type) }
        func decode(_ type: UInt64.Type) throws -> UInt64 { try decoder.integer(type) }

        func decode<T: Decodable>(_ type: T.Type) throws -> T {
            guard !decoder.isNull else { throw decoder.session.giveUp() }
            return try decoder.decodeValue(type)
        }
    }
}
