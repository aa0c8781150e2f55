import Foundation

/// The endpoints of the issuer, from `<authURL>/.well-known/openid-configuration`.
public struct OIDCDiscovery: Sendable, Hashable, Decodable {
    public var issuer: String?
    /// Where tokens are requested (all grants).
    public var tokenEndpoint: String
    /// Where a user grants a third-party app access (authorization-code flow).
    public var authorizationEndpoint: String?
    /// RFC 7009 token revocation, if the issuer offers it.
    public var revocationEndpoint: String?
    public var codeChallengeMethodsSupported: [String]?

    enum CodingKeys: String, CodingKey {
        case issuer
        case tokenEndpoint = "token_endpoint"
        case authorizationEndpoint = "authorization_endpoint"
        case revocationEndpoint = "revocation_endpoint"
        case codeChallengeMethodsSupported = "code_challenge_methods_supported"
    }

    public init(
        issuer: String? = nil, tokenEndpoint: String, authorizationEndpoint: String? = nil,
        revocationEndpoint: String? = nil, codeChallengeMethodsSupported: [String]? = nil
    ) {
        self.issuer = issuer
        self.tokenEndpoint = tokenEndpoint
        self.authorizationEndpoint = authorizationEndpoint
        self.revocationEndpoint = revocationEndpoint
        self.codeChallengeMethodsSupported = codeChallengeMethodsSupported
    }

    /// The documented endpoints under `authURL` (used when discovery answers 404).
    public static func documented(authURL: String) -> OIDCDiscovery {
        OIDCDiscovery(
            issuer: authURL, tokenEndpoint: authURL + "/oauth2/token",
            authorizationEndpoint: authURL + "/oauth2/auth", revocationEndpoint: authURL + "/oauth2/revoke"
        )
    }
}
