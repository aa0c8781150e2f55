import Crypto
import Foundation

/// Proof Key for Code Exchange (RFC 7636) with the S256 method.
///
/// The verifier stays in this process; only its challenge goes to the authorize endpoint, so a
/// code intercepted on its way back is useless without the verifier.
public struct PKCE: Sendable {
    /// 43 characters of base64url from 32 random bytes.
    public let verifier: Secret
    /// `BASE64URL(SHA256(verifier))`.
    public let challenge: String
    public let method = "S256"

    /// A fresh verifier and its challenge.
    public init() {
        self.init(verifier: Self.randomToken(bytes: 32))
    }

    /// The challenge of a known verifier (for tests and the RFC 7636 example).
    public init(verifier: String) {
        self.verifier = Secret(verifier)
        self.challenge = Self.challenge(for: verifier)
    }

    public static func challenge(for verifier: String) -> String {
        Base64URL.encode(Array(SHA256.hash(data: Array(verifier.utf8))))
    }

    /// `bytes` random bytes from the system's CSPRNG, base64url without padding.
    public static func randomToken(bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return Base64URL.encode((0..<bytes).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }
}

/// Base64url without padding (RFC 4648 §5), as PKCE and OAuth `state` use it.
enum Base64URL {
    static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
