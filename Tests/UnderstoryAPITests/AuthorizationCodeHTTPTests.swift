import AsyncHTTPClient
import Foundation
import SyncTestSupport
import Testing
import UnderstorySimulator

@testable import UnderstoryAPI

@Suite("Authorization code and refresh grants over HTTP (simulator)")
struct AuthorizationCodeHTTPTests {
    /// Opens the authorize URL without following the redirect; returns the redirect's query.
    static func authorize(_ request: AuthorizationRequest, http: HTTPClient) async throws -> [String: String] {
        let response = try await http.execute(HTTPClientRequest(url: request.authorizeURL), timeout: .seconds(120))
        let location = try #require(response.headers.first(name: "Location"))
        let items = URLComponents(string: location)?.queryItems ?? []
        return Dictionary(items.map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { first, _ in first })
    }

    static func appClient(_ sim: Simulator, http: HTTPClient, grant: OAuthGrant = .clientCredentials) throws -> UnderstoryClient {
        let app = try #require(sim.configuration.apps.first)
        var configuration = try UnderstoryConfiguration.forSimulator(sim)
        configuration.clientID = app.id
        configuration.clientSecret = Secret(app.secret)
        return UnderstoryClient(configuration: configuration, httpClient: http, logger: quietLogger, grant: grant)
    }

    @Test("the right verifier gets tokens with a refresh token; a wrong verifier is refused as authorizationFailed")
    func verifier() async throws {
        try await withSimulator(SimulatorConfiguration(seed: 3, bookings: 5, orders: 5, events: 5)) { sim in
            try await withHTTPClient(try UnderstoryConfiguration.forSimulator(sim)) { http in
                let client = try Self.appClient(sim, http: http)
                let endpoint = try #require(try await client.tokens.discover(logger: quietLogger).authorizationEndpoint)
                func request() -> AuthorizationRequest {
                    AuthorizationRequest(
                        endpoint: endpoint, clientID: client.configuration.clientID, redirectURI: "http://127.0.0.1:9/callback",
                        scopes: client.configuration.scopes, audience: client.configuration.audience
                    )
                }
                // A wrong verifier.
                let first = request()
                let code = try first.code(fromRedirectQuery: try await Self.authorize(first, http: http))
                let forged = AuthorizationCode(code: code.code, redirectURI: code.redirectURI, verifier: PKCE().verifier)
                let error = await expectAPIError { _ = try await client.tokens.exchange(forged, logger: quietLogger) }
                #expect(error?.code == .authorizationFailed)
                #expect(error?.apiCode == "invalid_grant")
                #expect(!"\(error.map { "\($0)" } ?? "")".contains(code.code), "the code never appears in an error")

                // The right one.
                let second = request()
                let good = try second.code(fromRedirectQuery: try await Self.authorize(second, http: http))
                let grant = try await client.tokens.exchange(good, logger: quietLogger)
                #expect(grant.refreshToken != nil)
                #expect(grant.accessToken.grantedScopes?.contains("offline") == true)
                #expect(try await client.me().model.companyID == sim.configuration.companyID)
                // A code works once.
                let reused = await expectAPIError { _ = try await client.tokens.exchange(good, logger: quietLogger) }
                #expect(reused?.code == .authorizationFailed)
            }
        }
    }
}
