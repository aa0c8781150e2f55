import Crypto
import Foundation

/// Standard Webhooks signatures as Understory sends them: `webhook-signature` holds
/// space-separated `v1,<base64>` values, each an HMAC-SHA256 over `"{webhook-id}.{webhook-timestamp}.{raw body}"`
/// keyed with the base64-decoded subscription secret (an optional `whsec_` prefix is dropped).
///
/// ```swift
/// let verifier = try WebhookSignature(secrets: [secret])
/// try verifier.verify(id: headers["webhook-id"], timestamp: headers["webhook-timestamp"],
///                     signatures: headers["webhook-signature"], body: rawBody, now: clock.wallNow)
/// ```
///
/// Comparison is in constant time; a timestamp more than ``tolerance`` away from `now` is rejected,
/// so a captured delivery cannot be replayed later. Errors never contain a secret or a signature.
public struct WebhookSignature: Sendable {
    /// Keys of every active secret (a delivery signed by any of them passes).
    private let keys: [SymmetricKey]
    /// How far `webhook-timestamp` may be from now, either way.
    public var tolerance: Duration

    public init(secrets: [Secret], tolerance: Duration = .seconds(300)) throws {
        guard !secrets.isEmpty else {
            throw WebhookSignatureError(.invalidSecret, "no webhook secret is configured")
        }
        self.keys = try secrets.map { try Self.key(from: $0) }
        self.tolerance = tolerance
    }

    /// The key of a `whsec_…` (or bare base64) secret.
    static func key(from secret: Secret) throws -> SymmetricKey {
        var text = secret.revealed.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.hasPrefix("whsec_") { text.removeFirst(6) }
        guard !text.isEmpty, let data = Data(base64Encoded: text) else {
            throw WebhookSignatureError(.invalidSecret, "the webhook secret is not base64 (optionally prefixed whsec_)")
        }
        return SymmetricKey(data: data)
    }

    /// `v1,<base64>` for one message, keyed with the first secret (what a sender puts in `webhook-signature`).
    public func sign(id: String, timestamp: Int64, body: some Sequence<UInt8>) -> String {
        "v1," + Data(Self.mac(keys[0], id: id, timestamp: String(timestamp), body: Array(body))).base64EncodedString()
    }

    /// Checks the three headers against `body` (the exact bytes received). Throws a
    /// ``WebhookSignatureError`` naming what is wrong; returns the parsed timestamp.
    @discardableResult
    public func verify(id: String?, timestamp: String?, signatures: String?, body: some Sequence<UInt8>, now: Date) throws -> Int64 {
        let seconds = try Self.checkHeaders(id: id, timestamp: timestamp, signatures: signatures, now: now, tolerance: tolerance)
        guard let id, let timestamp, let signatures else { throw WebhookSignatureError(.missingHeader, "a webhook header is missing") }
        let body = Array(body)
        let presented: [[UInt8]] = signatures.split(separator: " ").compactMap { entry in
            let parts = entry.split(separator: ",", maxSplits: 1)
            guard parts.count == 2, parts[0] == "v1", let data = Data(base64Encoded: String(parts[1])) else { return nil }
            return Array(data)
        }
        for key in keys {
            let expected = Self.mac(key, id: id, timestamp: timestamp, body: body)
            for candidate in presented where Self.constantTimeEquals(candidate, expected) {
                return seconds
            }
        }
        throw WebhookSignatureError(.signatureMismatch, "no webhook-signature matches the body with a configured secret")
    }

    /// What can be checked without a secret or the body: the three headers are present, the
    /// timestamp is unix seconds within `tolerance` of `now`, and `webhook-signature` holds at
    /// least one `v1,` entry of an HMAC-SHA256's length. A receiver checks this before it reads
    /// the body or looks for a secret. Returns the timestamp.
    @discardableResult
    public static func checkHeaders(
        id: String?, timestamp: String?, signatures: String?, now: Date, tolerance: Duration = .seconds(300)
    ) throws(WebhookSignatureError) -> Int64 {
        guard let id, !id.isEmpty else { throw WebhookSignatureError(.missingHeader, "the webhook-id header is missing") }
        guard let timestamp, !timestamp.isEmpty else {
            throw WebhookSignatureError(.missingHeader, "the webhook-timestamp header is missing")
        }
        guard let signatures, !signatures.isEmpty else {
            throw WebhookSignatureError(.missingHeader, "the webhook-signature header is missing")
        }
        guard let seconds = Int64(timestamp) else {
            throw WebhookSignatureError(.invalidTimestamp, "webhook-timestamp is not unix seconds")
        }
        let skew = Double(seconds) - now.timeIntervalSince1970
        let limit = Double(tolerance.components.seconds)
        guard abs(skew) <= limit else {
            throw WebhookSignatureError(
                .timestampOutOfTolerance,
                "webhook-timestamp is \(Int(abs(skew))) s \(skew < 0 ? "old" : "in the future") (tolerance \(Int(limit)) s)"
            )
        }
        let wellFormed = signatures.split(separator: " ").contains { entry in
            let parts = entry.split(separator: ",", maxSplits: 1)
            return parts.count == 2 && parts[0] == "v1" && Data(base64Encoded: String(parts[1]))?.count == SHA256.byteCount
        }
        guard wellFormed else {
            throw WebhookSignatureError(.signatureMismatch, "webhook-signature holds no v1 HMAC-SHA256 signature")
        }
        return seconds
    }

    static func mac(_ key: SymmetricKey, id: String, timestamp: String, body: [UInt8]) -> [UInt8] {
        var hmac = HMAC<SHA256>(key: key)
        hmac.update(data: Array("\(id).\(timestamp).".utf8))
        hmac.update(data: body)
        return Array(hmac.finalize())
    }

    /// Equal length and bytes, in time independent of where they differ.
    static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}

/// Why a webhook delivery was not accepted. The message never contains a secret or a signature.
public struct WebhookSignatureError: Error, Sendable, CustomStringConvertible {
    public enum Code: Sendable, Hashable {
        case missingHeader
        case invalidTimestamp
        case timestampOutOfTolerance
        case signatureMismatch
        case invalidSecret
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
