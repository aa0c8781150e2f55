import Crypto
import Foundation
import UnderstoryAPI

/// The key that seals refresh tokens at rest (AES-256-GCM), from `UNDERSTORY_TOKEN_KEY`.
///
/// The variable holds 32 random bytes as base64 (`openssl rand -base64 32`) or 64 hex digits.
/// Each sealed token authenticates its company id, so a sealed token copied onto another
/// account's row does not open. ``id`` (a fingerprint, not secret) is stored beside each token so
/// a wrong key is named as such.
public struct TokenKey: Sendable, CustomStringConvertible {
    public static let variable = "UNDERSTORY_TOKEN_KEY"

    private let key: SymmetricKey
    /// First 16 hex digits of SHA-256 of the key.
    public let id: String

    public var description: String { "TokenKey(id: \(id))" }

    public init(bytes: [UInt8]) throws {
        guard bytes.count == 32 else {
            throw SyncError(.tokenKeyInvalid, "\(Self.variable) must be 32 bytes (it has \(bytes.count)); make one with `openssl rand -base64 32`")
        }
        self.key = SymmetricKey(data: bytes)
        self.id = SHA256.hash(data: bytes).prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    /// Reads `UNDERSTORY_TOKEN_KEY` from `environment`.
    public init(environment: [String: String]) throws {
        guard let text = environment[Self.variable]?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else {
            throw SyncError(
                .tokenKeyInvalid,
                "\(Self.variable) is not set: connected accounts' refresh tokens are encrypted with it; set it to 32 random bytes (`openssl rand -base64 32`) and keep it with your other secrets"
            )
        }
        try self.init(text: text)
    }

    /// Parses 64 hex digits or base64 (standard or URL alphabet, padding optional) of 32 bytes.
    public init(text: String) throws {
        if text.count == 64, let bytes = Self.hexBytes(text) {
            try self.init(bytes: bytes)
            return
        }
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64.append("=") }
        guard let data = Data(base64Encoded: base64) else {
            throw SyncError(.tokenKeyInvalid, "\(Self.variable) is neither base64 nor 64 hex digits; make one with `openssl rand -base64 32`")
        }
        try self.init(bytes: Array(data))
    }

    /// Nonce ‖ ciphertext ‖ tag, authenticating `companyID`.
    public func seal(_ token: Secret, companyID: String) throws -> [UInt8] {
        let box = try AES.GCM.seal(Array(token.revealed.utf8), using: key, authenticating: Array(companyID.utf8))
        guard let combined = box.combined else {
            throw SyncError(.tokenKeyInvalid, "AES-GCM produced no combined box")
        }
        return Array(combined)
    }

    /// Opens a token sealed by ``seal(_:companyID:)``. `keyID` is the fingerprint stored with it.
    public func open(_ sealed: [UInt8], companyID: String, keyID: String?) throws -> Secret {
        if let keyID, keyID != id {
            throw SyncError(
                .tokenKeyInvalid,
                "the refresh token of account \(companyID) was sealed with another \(Self.variable) (key id \(keyID); this one is \(id)): restore that key, or connect the account again"
            )
        }
        do {
            let box = try AES.GCM.SealedBox(combined: sealed)
            let plain = try AES.GCM.open(box, using: key, authenticating: Array(companyID.utf8))
            return Secret(String(decoding: plain, as: UTF8.self))
        } catch {
            throw SyncError(
                .tokenKeyInvalid,
                "the refresh token of account \(companyID) does not open with \(Self.variable) (wrong key, or the row was altered): connect the account again"
            )
        }
    }

    private static func hexBytes(_ text: String) -> [UInt8]? {
        let digits = Array(text)
        guard digits.count % 2 == 0 else { return nil }
        var bytes = [UInt8]()
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let byte = UInt8(String(digits[index...index + 1]), radix: 16) else { return nil }
            bytes.append(byte)
        }
        return bytes
    }
}
