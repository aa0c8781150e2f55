import Foundation

/// A company connected by a third-party app: a row of `understory.accounts`, without its token.
public struct Account: Sendable, Codable, Hashable {
    public enum Status: String, Sendable, Codable, Hashable, CustomStringConvertible {
        /// Syncs with its refresh token.
        case active
        /// The refresh token was rejected (consent revoked): run `accounts connect` again.
        case needsReconnect = "needs_reconnect"
        /// `accounts disconnect` deleted its token; its data stays.
        case disconnected

        public var description: String { rawValue }
    }

    public var companyID: String
    public var companyName: String?
    public var userID: String?
    public var email: String?
    public var clientID: String
    public var scopes: [String]
    public var status: Status
    public var statusReason: String?
    public var statusChangedAt: Date
    public var tokenGeneration: Int64
    public var refreshTokenRotatedAt: Date?
    public var connectedAt: Date

    enum CodingKeys: String, CodingKey {
        case companyID = "company_id", companyName = "company_name", userID = "user_id", email
        case clientID = "client_id", scopes, status, statusReason = "status_reason", statusChangedAt = "status_changed_at"
        case tokenGeneration = "token_generation", refreshTokenRotatedAt = "refresh_token_rotated_at", connectedAt = "connected_at"
    }
}
