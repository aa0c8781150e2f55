import Foundation

/// An opaque, tamper-evident page cursor: base64url of
/// `v1|resource|sort|from|to|issuedMillis|position|checksum`. The checksum is keyed with a secret
/// of this simulator instance, so cursors from another run (or edited ones) are rejected.
/// `issuedMillis` is measured on the simulator's monotonic clock; a cursor older than the cursor TTL
/// is rejected as expired.
struct Cursor: Sendable, Hashable {
    var resource: String
    /// The resolved sort (`+created_at`, `-updated_at`, `start`, …).
    var sort: String
    /// `from`/`to` exactly as the first request gave them ("" when absent).
    var from: String
    var to: String
    var issuedMillis: Int64
    var position: CursorPosition

    func encode(secret: UInt64) -> String {
        let payload = self.payload()
        let text = payload + "|" + String(Cursor.checksum(payload, secret: secret), radix: 16)
        return Data(text.utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    private func payload() -> String {
        let position: String
        switch self.position {
        case .start: position = "s"
        case .offset(let n): position = "o\(n)"
        case .after(let key, let id): position = "k\(key):\(id)"
        }
        return ["v1", self.resource, self.sort, self.from, self.to, String(self.issuedMillis), position].joined(separator: "|")
    }

    static func decode(_ token: String, secret: UInt64) -> Cursor? {
        var base64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.utf8.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8) else { return nil }
        let parts = text.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 8, parts[0] == "v1" else { return nil }
        let payload = parts[0..<7].joined(separator: "|")
        guard String(checksum(payload, secret: secret), radix: 16) == parts[7] else { return nil }
        guard let issued = Int64(parts[5]) else { return nil }
        let positionText = parts[6]
        let position: CursorPosition
        if positionText == "s" {
            position = .start
        } else if positionText.hasPrefix("o"), let n = Int(positionText.dropFirst()), n >= 0 {
            position = .offset(n)
        } else if positionText.hasPrefix("k"), let colon = positionText.firstIndex(of: ":"),
            let key = Int64(positionText[positionText.index(after: positionText.startIndex)..<colon])
        {
            position = .after(key: key, id: String(positionText[positionText.index(after: colon)...]))
        } else {
            return nil
        }
        return Cursor(resource: parts[1], sort: parts[2], from: parts[3], to: parts[4], issuedMillis: issued, position: position)
    }

    /// FNV-1a over the secret and the payload.
    static func checksum(_ payload: String, secret: UInt64) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        var s = secret
        for _ in 0..<8 {
            hash = (hash ^ (s & 0xFF)) &* 0x0000_0100_0000_01B3
            s >>= 8
        }
        for byte in payload.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        return hash
    }
}

/// Query and form decoding (application/x-www-form-urlencoded): `+` is a space and `%XX` a byte.
/// So a sort sent as `sort=+created_at` (the `+` not escaped as `%2B`) arrives as " created_at",
/// which the API rejects — as a real form-decoding server would.
enum FormDecoding {
    static func parse(_ query: Substring) -> [(String, String)] {
        var result: [(String, String)] = []
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = self.decode(parts[0])
            let value = parts.count > 1 ? self.decode(parts[1]) : ""
            result.append((name, value))
        }
        return result
    }

    static func decode(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = iterator.next() else {
                    bytes.append(byte)
                    break
                }
                guard let low = iterator.next(), let h = hexValue(high), let l = hexValue(low) else {
                    bytes.append(byte)
                    bytes.append(high)
                    break
                }
                bytes.append(h << 4 | l)
            default:
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
