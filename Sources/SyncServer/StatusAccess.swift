import Foundation
import Hummingbird
import NIOCore
import UnderstoryAPI

/// Who may read `/metrics` (and the status page): anyone reaching a loopback address; on any
/// other address only a request with `Authorization: Bearer <UNDERSTORY_STATUS_TOKEN>`, unless the
/// operator made the status public (`--public-status`). `/healthz` is never guarded.
public struct StatusAccess: Sendable {
    public enum Rule: Sendable, Equatable {
        /// No check (loopback, or `--public-status`).
        case open
        /// Only with this bearer token.
        case bearer(Secret)
    }

    public var rule: Rule

    public init(rule: Rule) { self.rule = rule }

    /// The environment variable holding the token.
    public static let tokenVariable = "UNDERSTORY_STATUS_TOKEN"

    /// Why a listener cannot start: bound beyond loopback with neither a token nor `--public-status`.
    public struct Refusal: Error, CustomStringConvertible {
        public var host: String
        public var description: String {
            "/metrics on \(host) would be readable by anyone who reaches it: set \(StatusAccess.tokenVariable) (requests then need `Authorization: Bearer <token>`) or pass --public-status"
        }
    }

    /// The rule for a listener on `host`: open on loopback (127.0.0.0/8, ::1, localhost) or when
    /// `publicStatus`, else the bearer `token` (an empty token counts as none); throws ``Refusal``
    /// when neither applies.
    public static func forListener(host: String, token: Secret?, publicStatus: Bool) throws -> StatusAccess {
        if publicStatus || isLoopback(host) { return StatusAccess(rule: .open) }
        guard let token, !token.revealed.isEmpty else { throw Refusal(host: host) }
        return StatusAccess(rule: .bearer(token))
    }

    /// Whether `host` names a loopback address.
    public static func isLoopback(_ host: String) -> Bool {
        let host = host.lowercased()
        if host == "localhost" || host == "::1" || host == "[::1]" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    /// Whether a request with these headers may read the status.
    public func allows(_ headers: HTTPFields) -> Bool {
        switch rule {
        case .open:
            return true
        case .bearer(let token):
            guard let value = headers[.authorization] else { return false }
            let prefix = "bearer "
            guard value.count > prefix.count, value.prefix(prefix.count).lowercased() == prefix else { return false }
            return Self.constantTimeEqual(Array(value.dropFirst(prefix.count).utf8), Array(token.revealed.utf8))
        }
    }

    /// Compares without stopping at the first difference (the time does not tell how much of a guess was right).
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for index in 0..<max(a.count, b.count) {
            difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
        }
        return difference == 0
    }
}

extension StatusAccess {
    /// 401 with the challenge a client needs (the token itself is never echoed).
    static func unauthorized() -> Response {
        var response = Response(status: .unauthorized, body: .init(byteBuffer: ByteBuffer(string: "a bearer token is required (\(tokenVariable))\n")))
        response.headers[.contentType] = "text/plain; charset=utf-8"
        response.headers[.wwwAuthenticate] = "Bearer realm=\"understory-sync\""
        return response
    }
}
