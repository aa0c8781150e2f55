import Foundation
import Logging
import PostgresClient
import UnderstoryAPI

/// `accounts connect`: the authorization-code flow with PKCE and `state`, ending in a stored account.
///
/// 1. the issuer's endpoints by OIDC discovery; 2. a loopback listener for the redirect;
/// 3. the authorize URL, handed to `showAuthorizeURL` (nothing is opened automatically);
/// 4. the redirect, checked against `state`; 5. the code exchanged with the verifier, the app's
/// `client_id`/`client_secret` and `audience`; 6. `/v1/me` names the company; 7. the account and
/// its sealed refresh token are stored.
public struct AccountConnector: Sendable {
    /// Where the redirect comes back.
    public struct Redirect: Sendable {
        /// The port the listener binds on 127.0.0.1 (0 = any free port).
        public var listenPort: Int
        /// The redirect URI sent to the issuer. Default: `http://127.0.0.1:<port>/callback`. Set it
        /// when the app registered a fixed URI (its path is the one listened on; its port, unless
        /// `listenPort` is given, too).
        public var redirectURI: String?

        public init(listenPort: Int = 0, redirectURI: String? = nil) {
            self.listenPort = listenPort
            self.redirectURI = redirectURI
        }
    }

    public let database: PostgresConfiguration
    /// A client with the third-party app's id and secret.
    public let client: UnderstoryClient
    public let key: TokenKey
    public let logger: Logger

    public init(database: PostgresConfiguration, client: UnderstoryClient, key: TokenKey, logger: Logger) {
        self.database = database
        self.client = client
        self.key = key
        self.logger = logger
    }

    public func connect(
        redirect: Redirect, timeout: Duration, showAuthorizeURL: @Sendable (_ url: String, _ redirectURI: String) -> Void
    ) async throws -> Account {
        // Fail on the database before the user does anything in the browser.
        try await PostgresConnection.withConnection(database, logger: logger) { try await Schema.requireCurrent(on: $0) }
        let discovery = try await client.tokens.discover(logger: logger)
        guard let endpoint = discovery.authorizationEndpoint, !endpoint.isEmpty else {
            throw UnderstoryAPIError(
                code: .invalidResponse, path: "/.well-known/openid-configuration", resource: "discovery",
                detail: "the issuer's discovery document has no authorization_endpoint"
            )
        }
        let fixed = try redirect.redirectURI.map(Self.parseRedirectURI)
        let port = redirect.listenPort != 0 ? redirect.listenPort : (fixed?.port ?? 0)
        let receiver = try await LoopbackRedirectReceiver.start(port: port, path: fixed?.path ?? "/callback")
        let code: AuthorizationCode
        do {
            let request = AuthorizationRequest(
                endpoint: endpoint, clientID: client.configuration.clientID, redirectURI: redirect.redirectURI ?? receiver.redirectURI,
                scopes: client.configuration.scopes, audience: client.configuration.audience
            )
            showAuthorizeURL(request.authorizeURL, request.redirectURI)
            let query = try await receiver.waitForRedirect(timeout: timeout)
            await receiver.close()
            code = try request.code(fromRedirectQuery: query)
        } catch {
            await receiver.close()
            throw error
        }
        let grant = try await client.tokens.exchange(code, logger: logger)
        guard let refreshToken = grant.refreshToken else {
            throw UnderstoryAPIError(
                code: .authorizationFailed,
                detail: "the token response has no refresh token: the app must be allowed the offline scope, and UNDERSTORY_SCOPES must not drop it"
            )
        }
        let me = try await client.me(logger: logger).model
        guard let companyID = me.companyID, !companyID.isEmpty else {
            throw UnderstoryAPIError(code: .invalidResponse, path: "/v1/me", resource: "me", field: "company_id", detail: "/v1/me did not name a company_id")
        }
        let scopes = grant.accessToken.grantedScopes ?? client.configuration.scopes
        let account = try await PostgresConnection.withConnection(database, logger: logger) { connection in
            try await AccountStore(connection: connection).saveConnected(
                me: me, companyID: companyID, clientID: client.configuration.clientID, scopes: scopes, refreshToken: refreshToken, key: key
            )
        }
        logger.info("account connected", metadata: ["company_id": "\(companyID)", "scopes": "\(scopes.joined(separator: " "))"])
        return account
    }

    static func parseRedirectURI(_ text: String) throws -> (port: Int?, path: String) {
        guard let url = URLComponents(string: text), let scheme = url.scheme, scheme == "http" || scheme == "https", url.host != nil else {
            throw SyncError(.invalidArguments, "--redirect-uri must be an http(s) URL such as http://127.0.0.1:8765/callback, got \"\(text)\"")
        }
        return (url.port, url.path.isEmpty ? "/" : url.path)
    }
}
