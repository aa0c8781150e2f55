import AsyncHTTPClient
import Foundation
import NIOCore
import Testing

@testable import UnderstoryAPI

@Suite("Authorization-code flow pieces: PKCE, the authorize URL, the redirect")
struct AuthorizationRequestTests {
    @Test("PKCE S256 matches RFC 7636's example, and fresh verifiers are 43 base64url characters")
    func pkceVector() {
        #expect(PKCE.challenge(for: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
        let a = PKCE(), b = PKCE()
        #expect(a.verifier.revealed.count == 43)
        #expect(a.verifier.revealed.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        #expect(a.verifier != b.verifier)
        #expect(a.challenge == PKCE.challenge(for: a.verifier.revealed))
        #expect("\(a.verifier)" == "<redacted>")
    }

    @Test("the authorize URL carries client, redirect, scopes with offline, state and the S256 challenge — never the verifier")
    func authorizeURL() throws {
        let request = AuthorizationRequest(
            endpoint: "https://auth.example/oauth2/auth", clientID: "app-1", redirectURI: "http://127.0.0.1:8765/callback",
            scopes: ["openid", "order.read"], audience: "https://api.understory.io"
        )
        let items = try #require(URLComponents(string: request.authorizeURL)?.queryItems)
        let query = Dictionary(items.map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { first, _ in first })
        #expect(query["response_type"] == "code")
        #expect(query["client_id"] == "app-1")
        #expect(query["redirect_uri"] == "http://127.0.0.1:8765/callback")
        #expect(query["scope"] == "openid order.read offline")
        #expect(query["state"] == request.state)
        #expect(query["code_challenge"] == request.pkce.challenge)
        #expect(query["code_challenge_method"] == "S256")
        #expect(!request.authorizeURL.contains(request.pkce.verifier.revealed))
    }

    @Test("a redirect with another state is refused; access_denied and a missing code are clear errors")
    func redirectChecks() throws {
        let request = AuthorizationRequest(endpoint: "https://a/auth", clientID: "c", redirectURI: "http://127.0.0.1:1/cb", scopes: [], audience: "x")
        let code = try request.code(fromRedirectQuery: ["code": "abc", "state": request.state])
        #expect(code.code == "abc")
        #expect(code.redirectURI == "http://127.0.0.1:1/cb")

        let forged = #expect(throws: UnderstoryAPIError.self) { try request.code(fromRedirectQuery: ["code": "abc", "state": "other"]) }
        #expect(forged?.code == .authorizationFailed)
        #expect("\(forged!)".contains("state does not match"))

        let denied = #expect(throws: UnderstoryAPIError.self) {
            try request.code(fromRedirectQuery: ["error": "access_denied", "error_description": "no", "state": request.state])
        }
        #expect(denied?.code == .authorizationFailed)
        #expect(denied?.apiCode == "access_denied")
        #expect("\(denied!)".contains("denied"))

        #expect(throws: UnderstoryAPIError.self) { try request.code(fromRedirectQuery: ["state": request.state]) }
    }

    @Test("the loopback receiver answers the browser and hands over the redirect's query; other paths get 404")
    func loopbackReceiver() async throws {
        let receiver = try await LoopbackRedirectReceiver.start(port: 0, path: "/callback")
        #expect(receiver.port > 0)
        #expect(receiver.redirectURI == "http://127.0.0.1:\(receiver.port)/callback")
        do {
            try await HTTPClient.withHTTPClient { http in
                let favicon = try await http.execute(HTTPClientRequest(url: "http://127.0.0.1:\(receiver.port)/favicon.ico"), timeout: .seconds(120))
                #expect(favicon.status == .notFound)
                let response = try await http.execute(HTTPClientRequest(url: receiver.redirectURI + "?code=c%2B1&state=s-1"), timeout: .seconds(120))
                #expect(response.status == .ok)
                let body = String(buffer: try await response.body.collect(upTo: 10_000))
                #expect(body.contains("close this tab"))
                let query = try await receiver.waitForRedirect(timeout: .seconds(120))
                #expect(query == ["code": "c+1", "state": "s-1"])
            }
        } catch {
            await receiver.close()
            throw error
        }
        await receiver.close()
    }

    @Test("no redirect within the timeout is a clear error")
    func receiverTimeout() async throws {
        let receiver = try await LoopbackRedirectReceiver.start(port: 0)
        let error = await #expect(throws: UnderstoryAPIError.self) { _ = try await receiver.waitForRedirect(timeout: .milliseconds(50)) }
        #expect(error?.code == .authorizationFailed)
        await receiver.close()
    }
}
