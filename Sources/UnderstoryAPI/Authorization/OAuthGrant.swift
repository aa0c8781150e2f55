/// How the client obtains access tokens.
///
/// - ``clientCredentials``: an internal integration key acting for its own company (the default).
/// - ``refreshToken(_:)``: a third-party app acting for a connected company with that company's
///   refresh token (`offline` scope). The store keeps the token and is handed every rotation.
public enum OAuthGrant: Sendable {
    case clientCredentials
    case refreshToken(any RefreshTokenStore)
}

/// Keeps one account's refresh token, across processes, and takes part in each refresh.
///
/// A refresh token rotates: the token endpoint answers a refresh with a *new* refresh token and the
/// old one dies. So the store must (1) stop two refreshes of the same account from racing (a second
/// use of the old token fails and may revoke the whole chain), and (2) keep the rotated token
/// before anyone uses the access token that came with it. ``rotate(_:)`` does both: it runs
/// `exchange` with the current token, under the store's lock, and persists
/// ``TokenGrantResponse/refreshToken`` before returning.
public protocol RefreshTokenStore: Sendable {
    /// Calls `exchange` with the current refresh token and stores the rotated one it returns
    /// (if any) before returning. When `exchange` throws an ``UnderstoryAPIError`` with code
    /// ``UnderstoryAPIError/Code/reconnectRequired``, the store records that the account must be
    /// connected again, then rethrows.
    func rotate(
        _ exchange: @Sendable (Secret) async throws -> TokenGrantResponse
    ) async throws -> TokenGrantResponse
}

/// A successful answer of the token endpoint.
public struct TokenGrantResponse: Sendable, CustomStringConvertible {
    /// The access token, with its expiry and scopes.
    public let accessToken: AccessToken
    /// A refresh token: present after an authorization code exchange with the `offline` scope, and
    /// after each refresh that rotates.
    public let refreshToken: Secret?
    /// `expires_in` as the server sent it.
    public let expiresIn: Int64?

    public init(accessToken: AccessToken, refreshToken: Secret?, expiresIn: Int64?) {
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.expiresIn = expiresIn
    }

    public var description: String {
        "TokenGrantResponse(\(accessToken), refreshToken: \(refreshToken == nil ? "none" : "<redacted>"))"
    }
}
