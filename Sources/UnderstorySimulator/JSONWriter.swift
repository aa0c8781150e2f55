import Foundation

/// Writes compact JSON straight into bytes. Keys are written in the order given (the order the
/// simulator serves). Commas are handled by one flag: every value writes a comma first when one is
/// due; `key` resets it so the value after a key does not.
struct JSONWriter {
    var bytes: [UInt8]
    private var needsComma = false

    init(capacity: Int = 512) {
        self.bytes = []
        self.bytes.reserveCapacity(capacity)
    }

    private mutating func valuePrefix() {
        if self.needsComma { self.bytes.append(UInt8(ascii: ",")) }
        self.needsComma = true
    }

    mutating func appendStatic(_ text: StaticString) {
        text.withUTF8Buffer { self.bytes.append(contentsOf: $0) }
    }

    mutating func beginObject() {
        self.valuePrefix()
        self.bytes.append(UInt8(ascii: "{"))
        self.needsComma = false
    }

    mutating func endObject() {
        self.bytes.append(UInt8(ascii: "}"))
        self.needsComma = true
    }

    mutating func beginArray() {
        self.valuePrefix()
        self.bytes.append(UInt8(ascii: "["))
        self.needsComma = false
    }

    mutating func endArray() {
        self.bytes.append(UInt8(ascii: "]"))
        self.needsComma = true
    }

    /// Writes `"key":` (keys are plain ASCII and never need escaping).
    mutating func key(_ name: StaticString) {
        if self.needsComma { self.bytes.append(UInt8(ascii: ",")) }
        self.bytes.append(UInt8(ascii: "\""))
        self.appendStatic(name)
        self.bytes.append(UInt8(ascii: "\""))
        self.bytes.append(UInt8(ascii: ":"))
        self.needsComma = false
    }

    /// A key chosen at run time (metadata keys): escaped like any string.
    mutating func key(dynamic name: String) {
        if self.needsComma { self.bytes.append(UInt8(ascii: ",")) }
        JSONWriter.appendEscaped(name, asciiOnly: false, to: &self.bytes)
        self.bytes.append(UInt8(ascii: ":"))
        self.needsComma = false
    }

    mutating func null() {
        self.valuePrefix()
        self.appendStatic("null")
    }

    mutating func bool(_ value: Bool) {
        self.valuePrefix()
        if value { self.appendStatic("true") } else { self.appendStatic("false") }
    }

    mutating func int(_ value: Int64) {
        self.valuePrefix()
        JSONWriter.appendInteger(value, to: &self.bytes)
    }

    mutating func int(_ value: Int) {
        self.int(Int64(value))
    }

    mutating func double(_ value: Double) {
        self.valuePrefix()
        self.bytes.append(contentsOf: "\(value)".utf8)
    }

    mutating func string(_ value: String, asciiOnly: Bool = false) {
        self.valuePrefix()
        JSONWriter.appendEscaped(value, asciiOnly: asciiOnly, to: &self.bytes)
    }

    mutating func string(_ value: StaticString) {
        self.valuePrefix()
        self.bytes.append(UInt8(ascii: "\""))
        self.appendStatic(value)
        self.bytes.append(UInt8(ascii: "\""))
    }

    /// A pre-encoded JSON value (already quoted and escaped, or an object).
    mutating func fragment(_ encoded: [UInt8]) {
        self.valuePrefix()
        self.bytes.append(contentsOf: encoded)
    }

    mutating func timestamp(micros: Int64) {
        self.valuePrefix()
        self.bytes.append(UInt8(ascii: "\""))
        SimulatorTime.appendRFC3339(micros: micros, to: &self.bytes)
        self.bytes.append(UInt8(ascii: "\""))
    }

    mutating func localTime(seconds: Int64) {
        self.valuePrefix()
        self.bytes.append(UInt8(ascii: "\""))
        SimulatorTime.appendDateTime(seconds: seconds, to: &self.bytes)
        self.bytes.append(UInt8(ascii: "\""))
    }

    static func appendInteger(_ value: Int64, to out: inout [UInt8]) {
        if value == 0 {
            out.append(UInt8(ascii: "0"))
            return
        }
        var magnitude = value.magnitude
        if value < 0 { out.append(UInt8(ascii: "-")) }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            while magnitude > 0 {
                buffer[count] = UInt8(ascii: "0") &+ UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            }
            for i in stride(from: count - 1, through: 0, by: -1) {
                out.append(buffer[i])
            }
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Appends `value` as a quoted JSON string. Escapes `"`, `\` and control characters; with
    /// `asciiOnly` every non-ASCII scalar is written as `\uXXXX` (surrogate pairs above the BMP),
    /// which is valid JSON that a decoder must turn back into the same text.
    static func appendEscaped(_ value: String, asciiOnly: Bool, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        if asciiOnly {
            for scalar in value.unicodeScalars {
                if scalar.value < 0x80 {
                    appendEscapedByte(UInt8(scalar.value), to: &out)
                } else if scalar.value < 0x10000 {
                    appendUnicodeEscape(UInt16(scalar.value), to: &out)
                } else {
                    let v = scalar.value - 0x10000
                    appendUnicodeEscape(UInt16(0xD800 + (v >> 10)), to: &out)
                    appendUnicodeEscape(UInt16(0xDC00 + (v & 0x3FF)), to: &out)
                }
            }
        } else {
            var copy = value
            copy.withUTF8 { buffer in
                var needsEscape = false
                for byte in buffer where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                    needsEscape = true
                    break
                }
                if !needsEscape {
                    out.append(contentsOf: buffer)
                } else {
                    for byte in buffer { appendEscapedByte(byte, to: &out) }
                }
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func appendEscapedByte(_ byte: UInt8, to out: inout [UInt8]) {
        switch byte {
        case UInt8(ascii: "\""):
            out.append(UInt8(ascii: "\\"))
            out.append(UInt8(ascii: "\""))
        case UInt8(ascii: "\\"):
            out.append(UInt8(ascii: "\\"))
            out.append(UInt8(ascii: "\\"))
        case 0x0A:
            out.append(UInt8(ascii: "\\"))
            out.append(UInt8(ascii: "n"))
        case 0x0D:
            out.append(UInt8(ascii: "\\"))
            out.append(UInt8(ascii: "r"))
        case 0x09:
            out.append(UInt8(ascii: "\\"))
            out.append(UInt8(ascii: "t"))
        case 0x08:
            out.append(UInt8(ascii: "\\"))
            out.append(UInt8(ascii: "b"))
        case 0x0C:
            out.append(UInt8(ascii: "\\"))
            out.append(UInt8(ascii: "f"))
        case 0..<0x20:
            appendUnicodeEscape(UInt16(byte), to: &out)
        default:
            out.append(byte)
        }
    }

    private static func appendUnicodeEscape(_ unit: UInt16, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\\"))
        out.append(UInt8(ascii: "u"))
        out.append(hexDigits[Int(unit >> 12) & 0xF])
        out.append(hexDigits[Int(unit >> 8) & 0xF])
        out.append(hexDigits[Int(unit >> 4) & 0xF])
        out.append(hexDigits[Int(unit) & 0xF])
    }

    /// Encodes a string once, for reuse as a fragment.
    static func encoded(_ value: String, asciiOnly: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        appendEscaped(value, asciiOnly: asciiOnly, to: &out)
        return out
    }
}

/// Removes top-level keys from a JSON object this simulator wrote (well-formed, compact). Used to
/// corrupt a record on purpose (a missing required field).
enum JSONSurgery {
    /// What a record serves: `json` without its omitted fields, with its overrides applied.
    static func shaped(_ json: [UInt8], by record: Record) -> [UInt8] {
        var result = removingTopLevelKeys(record.omit, from: json)
        for override in record.overrides {
            result = settingTopLevelKey(override.key, to: override.json, in: result)
        }
        return result
    }

    /// The members of a JSON object as (key, raw value text), or nil when `json` is not an object.
    static func topLevelMembers(_ json: [UInt8]) -> [(key: String, json: String)]? {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(json), options: [.fragmentsAllowed])) as? [String: Any] else { return nil }
        var members: [(key: String, json: String)] = []
        var i = 0
        // Keys come from JSONSerialization (it validates); values are cut from the bytes as sent.
        while i < json.count, json[i] != UInt8(ascii: "{") { i += 1 }
        i += 1
        while i < json.count {
            while i < json.count, json[i] != UInt8(ascii: "\"") {
                if json[i] == UInt8(ascii: "}") { return members.count == object.count ? members : nil }
                i += 1
            }
            let keyStart = i
            let keyEnd = endOfValue(json, from: keyStart)
            guard let key = (try? JSONSerialization.jsonObject(with: Data(json[keyStart..<keyEnd]), options: [.fragmentsAllowed])) as? String else { return nil }
            i = keyEnd
            while i < json.count, json[i] != UInt8(ascii: ":") { i += 1 }
            i += 1
            while i < json.count, json[i] == UInt8(ascii: " ") || json[i] == UInt8(ascii: "\n") || json[i] == UInt8(ascii: "\t") || json[i] == UInt8(ascii: "\r") { i += 1 }
            let valueEnd = endOfValue(json, from: i)
            members.append((key, String(decoding: json[i..<valueEnd], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)))
            i = valueEnd
        }
        return members.count == object.count ? members : nil
    }

    /// Replaces the value of a top-level key (or appends the member when the key is absent).
    static func settingTopLevelKey(_ key: String, to value: [UInt8], in json: [UInt8]) -> [UInt8] {
        let without = removingTopLevelKey(key, from: json)
        guard let close = without.lastIndex(of: UInt8(ascii: "}")) else { return json }
        var out = Array(without[..<close])
        let isEmptyObject = out.last(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\n") }) == UInt8(ascii: "{")
        if !isEmptyObject { out.append(UInt8(ascii: ",")) }
        out += JSONWriter.encoded(key)
        out.append(UInt8(ascii: ":"))
        out += value
        out += without[close...]
        return out
    }

    static func removingTopLevelKeys(_ keys: [String], from json: [UInt8]) -> [UInt8] {
        guard !keys.isEmpty else { return json }
        var result = json
        for key in keys {
            result = removingTopLevelKey(key, from: result)
        }
        return result
    }

    static func removingTopLevelKey(_ key: String, from json: [UInt8]) -> [UInt8] {
        let quotedKey = JSONWriter.encoded(key)
        var depth = 0
        var i = 0
        var inString = false
        var memberStart = -1  // index of the first byte of the current top-level member
        while i < json.count {
            let c = json[i]
            if inString {
                if c == UInt8(ascii: "\\") {
                    i += 2
                    continue
                }
                if c == UInt8(ascii: "\"") { inString = false }
                i += 1
                continue
            }
            switch c {
            case UInt8(ascii: "\""):
                if depth == 1, memberStart == i,
                    json.count >= i + quotedKey.count, Array(json[i..<(i + quotedKey.count)]) == quotedKey,
                    json.count > i + quotedKey.count, json[i + quotedKey.count] == UInt8(ascii: ":")
                {
                    let end = endOfValue(json, from: i + quotedKey.count + 1)
                    var out = json
                    if end < json.count, json[end] == UInt8(ascii: ",") {
                        out.removeSubrange(i...end)
                    } else if i > 1, json[i - 1] == UInt8(ascii: ",") {
                        out.removeSubrange((i - 1)..<end)
                    } else {
                        out.removeSubrange(i..<end)
                    }
                    return out
                }
                inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                if depth == 1 { memberStart = i + 1 }
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
            case UInt8(ascii: ","):
                if depth == 1 { memberStart = i + 1 }
            default:
                break
            }
            i += 1
        }
        return json
    }

    /// Index just past the value starting at `start`.
    private static func endOfValue(_ json: [UInt8], from start: Int) -> Int {
        var depth = 0
        var i = start
        var inString = false
        while i < json.count {
            let c = json[i]
            if inString {
                if c == UInt8(ascii: "\\") {
                    i += 2
                    continue
                }
                if c == UInt8(ascii: "\"") {
                    inString = false
                    if depth == 0 { return i + 1 }
                }
                i += 1
                continue
            }
            switch c {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                if depth == 0 { return i }
                depth -= 1
                if depth == 0 { return i + 1 }
            case UInt8(ascii: ","):
                if depth == 0 { return i }
            default: break
            }
            i += 1
        }
        return i
    }
}
