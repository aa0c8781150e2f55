import Foundation
import Testing
import URLEncoding

@Suite("percent-encoding (RFC 3986)")
struct PercentEncodingTests {
    static let samples = [
        "", "sim-secret-~Zq7-Xk~9", "a b+c/d=e&f%é", "Ærø Ø å", "naïve 🌌", "http://127.0.0.1:8765/callback?x=1",
        "+created_at", "100%", "tab\tnew\nline", "\u{0}nul", "'quote\"",
    ]

    @Test("unreserved characters, ~ included, stay literal; + / = & % space and non-ASCII become %XX")
    func encodes() {
        #expect(PercentEncoding.encode("sim-secret-~Zq7-Xk~9") == "sim-secret-~Zq7-Xk~9")
        #expect(PercentEncoding.encode("a b+c/d=e&f%é") == "a%20b%2Bc%2Fd%3De%26f%25%C3%A9")
        #expect(PercentEncoding.encode("é") == "%C3%A9")
        #expect(PercentEncoding.encode("🌌") == "%F0%9F%8C%8C")
        #expect(PercentEncoding.formEncode([("scope", "openid order.read"), ("sort", "+created_at")]) == "scope=openid%20order.read&sort=%2Bcreated_at")
        #expect(PercentEncoding.formEncode([]) == "")
    }

    @Test("every byte outside A-Z a-z 0-9 - . _ ~ is encoded, the same as Foundation with the unreserved set")
    func agreesWithFoundation() {
        var unreserved = CharacterSet()
        unreserved.insert(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        let allASCII = String(decoding: (0...127).map { UInt8($0) }, as: UTF8.self)
        for text in Self.samples + [allASCII] {
            #expect(PercentEncoding.encode(text) == text.addingPercentEncoding(withAllowedCharacters: unreserved), "\(text.debugDescription)")
        }
    }

    @Test("decode inverts encode, takes lower-case hex, keeps + and rejects broken escapes and non-UTF-8")
    func decodes() {
        for text in Self.samples {
            #expect(PercentEncoding.decode(PercentEncoding.encode(text)) == text, "\(text.debugDescription)")
        }
        #expect(PercentEncoding.decode("p%c3%a9+x") == "pé+x")
        #expect(PercentEncoding.decode("plain") == "plain")
        #expect(PercentEncoding.decode("50%") == nil)
        #expect(PercentEncoding.decode("%4") == nil)
        #expect(PercentEncoding.decode("%zz") == nil)
        #expect(PercentEncoding.decode("%FF") == nil, "not UTF-8")
    }
}
