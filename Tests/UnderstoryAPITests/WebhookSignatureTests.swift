import Foundation
import Testing

@testable import UnderstoryAPI

/// The Standard Webhooks reference vector (standard-webhooks/standard-webhooks, and the same in
/// every reference library's tests), checked independently with Python's hmac before use.
@Suite("Webhook signatures (Standard Webhooks)")
struct WebhookSignatureTests {
    static let secret = Secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    static let id = "msg_p5jXN8AQM9LWM0D4loKWxJek"
    static let timestamp: Int64 = 1_614_265_330
    static let body = Array(#"{"test": 2432232314}"#.utf8)
    static let expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    static let now = Date(timeIntervalSince1970: TimeInterval(timestamp))

    @Test("signing the reference vector gives the published signature")
    func signsReferenceVector() throws {
        let verifier = try WebhookSignature(secrets: [Self.secret])
        #expect(verifier.sign(id: Self.id, timestamp: Self.timestamp, body: Self.body) == Self.expected)
    }

    @Test("the reference vector verifies, with or without the whsec_ prefix, among other signatures")
    func verifiesReferenceVector() throws {
        for secret in [Self.secret, Secret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")] {
            let verifier = try WebhookSignature(secrets: [secret])
            try verifier.verify(id: Self.id, timestamp: String(Self.timestamp), signatures: Self.expected, body: Self.body, now: Self.now)
            try verifier.verify(
                id: Self.id, timestamp: String(Self.timestamp), signatures: "v1,bm9wZQ== v2,abc \(Self.expected)", body: Self.body,
                now: Self.now
            )
        }
    }

    @Test("any configured secret may have signed the delivery")
    func anyActiveSecret() throws {
        let verifier = try WebhookSignature(secrets: [Secret("whsec_" + Data(repeating: 7, count: 24).base64EncodedString()), Self.secret])
        try verifier.verify(id: Self.id, timestamp: String(Self.timestamp), signatures: Self.expected, body: Self.body, now: Self.now)
    }

    @Test("a wrong secret, a tampered body, a changed id or a v2 scheme is a mismatch")
    func mismatches() throws {
        let wrong = try WebhookSignature(secrets: [Secret("whsec_" + Data(repeating: 1, count: 24).base64EncodedString())])
        let right = try WebhookSignature(secrets: [Self.secret])
        let cases: [(WebhookSignature, String, [UInt8], String)] = [
            (wrong, Self.id, Self.body, Self.expected),
            (right, Self.id, Array(#"{"test": 2432232315}"#.utf8), Self.expected),
            (right, "msg_other", Self.body, Self.expected),
            (right, Self.id, Self.body, Self.expected.replacingOccurrences(of: "v1,", with: "v2,")),
            (right, Self.id, Self.body, "v1,"),
        ]
        for (verifier, id, body, signature) in cases {
            #expect(throws: WebhookSignatureError.self) {
                try verifier.verify(id: id, timestamp: String(Self.timestamp), signatures: signature, body: body, now: Self.now)
            }
            do {
                try verifier.verify(id: id, timestamp: String(Self.timestamp), signatures: signature, body: body, now: Self.now)
            } catch let error as WebhookSignatureError {
                #expect(error.code == .signatureMismatch)
                #expect(!error.message.contains("g0hM9"))
            }
        }
    }

    @Test("a timestamp more than five minutes away is rejected, even with a valid signature")
    func oldTimestamp() throws {
        let verifier = try WebhookSignature(secrets: [Self.secret])
        try verifier.verify(
            id: Self.id, timestamp: String(Self.timestamp), signatures: Self.expected, body: Self.body, now: Self.now.addingTimeInterval(299)
        )
        for offset in [301.0, -301.0, 86_400] {
            do {
                try verifier.verify(
                    id: Self.id, timestamp: String(Self.timestamp), signatures: Self.expected, body: Self.body,
                    now: Self.now.addingTimeInterval(offset)
                )
                Issue.record("accepted a timestamp \(offset) s away")
            } catch let error as WebhookSignatureError {
                #expect(error.code == .timestampOutOfTolerance)
            }
        }
    }

    @Test("a missing header or a non-numeric timestamp is named")
    func missingHeaders() throws {
        let verifier = try WebhookSignature(secrets: [Self.secret])
        let t = String(Self.timestamp)
        let cases: [(String?, String?, String?, WebhookSignatureError.Code, String)] = [
            (nil, t, Self.expected, .missingHeader, "webhook-id"),
            (Self.id, nil, Self.expected, .missingHeader, "webhook-timestamp"),
            (Self.id, t, nil, .missingHeader, "webhook-signature"),
            (Self.id, "yesterday", Self.expected, .invalidTimestamp, "webhook-timestamp"),
        ]
        for (id, timestamp, signature, code, name) in cases {
            do {
                try verifier.verify(id: id, timestamp: timestamp, signatures: signature, body: Self.body, now: Self.now)
                Issue.record("accepted a delivery without \(name)")
            } catch let error as WebhookSignatureError {
                #expect(error.code == code)
                #expect(error.message.contains(name))
            }
        }
    }

    @Test("a secret that is not base64 is refused with a clear error")
    func badSecret() {
        #expect(throws: WebhookSignatureError.self) { try WebhookSignature(secrets: [Secret("whsec_not base64!")]) }
        #expect(throws: WebhookSignatureError.self) { try WebhookSignature(secrets: []) }
    }
}
