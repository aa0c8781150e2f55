/// The text of a JSON string's content (the bytes between its quotes) with its escapes decoded.
/// One decoder for the scanner (keys and `next`) and for ``ByteRangeDecoder`` (values).
enum JSONEscapes {
    struct Malformed: Error, Sendable {
        var message: String
        /// Byte offset of the problem in the buffer.
        var offset: Int
    }

    /// What a `\u` escape that is half of a surrogate pair, alone, becomes.
    enum LoneSurrogates {
        /// U+FFFD (lenient: the scanner's keys and cursors).
        case replace
        /// ``Malformed``, so Foundation decides (the fast decoder's values).
        case reject
    }

    static func unescape(_ bytes: UnsafeRawBufferPointer, _ content: Range<Int>, loneSurrogates: LoneSurrogates) throws(Malformed) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(content.count)
        var index = content.lowerBound
        func hex4(at start: Int) throws(Malformed) -> UInt32 {
            guard start + 4 <= content.upperBound else { throw Malformed(message: "truncated \\u escape", offset: start) }
            var value: UInt32 = 0
            for offset in start..<(start + 4) {
                let byte = bytes[offset]
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: throw Malformed(message: "bad \\u escape", offset: offset)
                }
                value = value << 4 | UInt32(digit)
            }
            return value
        }
        while index < content.upperBound {
            let byte = bytes[index]
            guard byte == UInt8(ascii: "\\") else {
                out.append(byte)
                index += 1
                continue
            }
            guard index + 1 < content.upperBound else { throw Malformed(message: "dangling backslash", offset: index) }
            let escape = bytes[index + 1]
            index += 2
            switch escape {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var value = try hex4(at: index)
                index += 4
                if (0xD800...0xDBFF).contains(value), index + 6 <= content.upperBound,
                    bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
                {
                    let low = try hex4(at: index + 2)
                    if (0xDC00...0xDFFF).contains(low) {
                        value = 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
                        index += 6
                    }
                }
                guard let scalar = Unicode.Scalar(value) else {
                    guard loneSurrogates == .replace else { throw Malformed(message: "lone surrogate escape", offset: index - 6) }
                    out.append(contentsOf: [0xEF, 0xBF, 0xBD])  // U+FFFD
                    continue
                }
                out.append(contentsOf: UTF8.encode(scalar)!)
            default:
                throw Malformed(message: "bad escape", offset: index - 1)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
