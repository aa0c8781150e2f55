/// RFC 3986 percent-encoding as the fake server writes it (redirect `Location` queries) and as the
/// simulator's own tools and tests send it: only the unreserved characters (`A–Z a–z 0–9 - . _ ~`)
/// stay literal; every other byte of the UTF-8 form, non-ASCII letters included, becomes `%XX`.
///
/// The simulator's one copy. The API client has its own (`UnderstoryAPI.PercentEncoding`) on
/// purpose: the fake never imports the client it checks, so a client bug cannot hide in shared code.
public enum SimulatorPercentEncoding {
    public static func encode(_ text: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        let hex = Array("0123456789ABCDEF".utf8)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(byte)
            default:
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `a=1&b=2`, each name and value encoded.
    public static func formEncode(_ pairs: [(String, String)]) -> String {
        pairs.map { encode($0.0) + "=" + encode($0.1) }.joined(separator: "&")
    }
}
