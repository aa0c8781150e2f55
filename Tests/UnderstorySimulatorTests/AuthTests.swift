import Foundation
import SyncTestSupport
import Testing
import UnderstorySimulator

@Suite("auth")
struct AuthTests {
    @Test("discovery document points at this server's token endpoint")
    func discovery() async throws {
        try await withSimulator(smallConfiguration()) { sim in
            try await SimClient.with(sim) { http in
                let response = try await http.send(.get, "/.well-known/openid-configuration")
                #expect(response.status == 200)
                let object = try response.json()
                #expect(object["issuer"] as? String == sim.baseURL)
                #expect(object["token_endpoint"] as? String == sim.baseURL + "/oauth2/token")
                #expect((object["token_endpoint_auth_methods_supported"] as? [String]) == ["client_secret_post"])
            }
        }
    }

    @Test("valid client credentials get an opaque bearer token with expires_in and the granted scopes")
    func tokenSuccess() async throws {
        var config = smallConfiguration()
        config.tokenTTL = .seconds(900)
        try await withSimulator(config) { sim in
            try await SimClient.with(sim) { http in
                let response = try await http.tokenResponse(scope: "openid booking.read")
                #expect(response.status == 200)
                let object = try response.json()
                let token = try #require(object["access_token"] as? String)
                #expect(token.count >= 16)
                #expect(object["expires_in"] as? Int == 900)
                #expect(object["token_type"] as? String == "bearer")
                #expect(object["scope"] as? String == "booking.read openid")
                #expect(response.header("Cache-Control") == "no-store")
                let other = try await http.token()
                #expect(other != token)
            }
        }
    }

    @Test("a secret sent with ~ unescaped or as %7E is accepted alike")
    func tildeEncoding() async throws {
        try await withSimulator(smallConfiguration()) { sim in
            try await SimClient.with(sim) { http in
                let raw = "grant_type=client_credentials&client_id=\(sim.clientID)&client_secret=\(sim.clientSecret)&audience=https%3A%2F%2Fapi.understory.io"
                let escaped = raw.replacingOccurrences(of: "~", with: "%7E")
                for body in [raw, escaped] {
                    let response = try await http.send(.post, "/oauth2/token", headers: ["Content-Type": "application/x-www-form-urlencoded"], body: body)
                    #expect(response.status == 200, "\(response.text)")
                }
            }
        }
    }

    @Test("a wrong secret is invalid_client (401) and the secret never appears in the answer")
    func wrongSecret() async throws {
        try await withSimulator(smallConfiguration()) { sim in
            try await SimClient.with(sim) { http in
                let response = try await http.tokenResponse(secret: "not-the-secret-XYZZY")
                #expect(response.status == 401)
                #expect((try response.json())["error"] as? String == "invalid_client")
                #expect(!response.text.contains("XYZZY"))
                #expect(!response.text.contains(sim.clientSecret))
                let unknown = try await http.tokenResponse(id: "nobody")
                #expect(unknown.status == 401)
            }
        }
    }

    @Test("a token request without the audience is invalid_request (400)")
    func missingAudience() async throws {
        try await withSimulator(smallConfiguration()) { sim in
            try await SimClient.with(sim) { http in
                let response = try await http.tokenResponse(audience: nil)
                #expect(response.status == 400)
                let object = try response.json()
                #expect(object["error"] as? String == "invalid_request")
                #expect((object["error_description"] as? String)?.contains("audience") == true)
                let wrong = try await http.tokenResponse(audience: "https://example.com")
                #expect(wrong.status == 400)
            }
        }
    }

    @Test("other grant types are unsupported_grant_type; a non-form body is invalid_request")
    func grantAndContentType() async throws {
        try await withSimulator(smallConfiguration()) { sim in
            try await SimClient.with(sim) { http in
                let grant = try await http.tokenResponse(grantType: "password")
                #expect(grant.status == 400)
                #expect((try grant.json())["error"] as? String == "unsupported_grant_type")
                let json = try await http.send(.post, "/oauth2/token", headers: ["Content-Type": "application/json"], body: "{}")
                #expect(json.status == 400)
                #expect((try json.json())["error"] as? String == "invalid_request")
            }
        }
    }

    @Test("requesting a scope the client was not given is invalid_scope; no scope grants all the client has")
    func scopes() async throws {
        try await withSimulator(smallConfiguration()) { sim in
            try await SimClient.with(sim) { http in
                let refused = try await http.tokenResponse(id: "sim-bookings-only", secret: "bookings-only-~secret", scope: "openid booking.read order.read")
                #expect(refused.status == 400)
                let object = try refused.json()
                #expect(object["error"] as? String == "invalid_scope")
                #expect((object["error_description"] as? String)?.contains("order.read") == true)
                let unknown = try await http.tokenResponse(scope: "openid superpowers.write")
                #expect(unknown.status == 400)
                let all = try await http.tokenResponse(id: "sim-bookings-only", secret: "bookings-only-~secret", scope: nil)
                #expect((try all.json())["scope"] as? String == "booking.read openid")
            }
        }
    }

    @Test("a token without the resource's scope gets 403 FORBIDDEN")
    func forbidden() async throws {
        try await withSimulator(smallConfiguration()) { sim in
            try await SimClient.with(sim) { http in
                let token = try await http.token(id: "sim-bookings-only", secret: "bookings-only-~secret", scope: "openid booking.read")
                #expect(try await http.get("/v1/bookings?limit=1", token: token).status == 200)
                for path in ["/v1/orders", "/v1/events", "/v1/orders/x/line-items"] {
                    let response = try await http.get(path, token: token)
                    #expect(response.status == 403, "\(path)")
                    #expect(response.code == "FORBIDDEN")
                }
                let experiences = try await http.get("/v1/experiences", token: token, headers: ["Accept-Language": "en"])
                #expect(experiences.status == 403)
                #expect(try await http.get("/v1/me", token: token).status == 200)
            }
        }
    }

    @Test("missing, unknown and expired tokens get 401 UNAUTHORIZED")
    func unauthorized() async throws {
        var config = smallConfiguration()
        config.tokenTTL = .seconds(5)
        let clock = VirtualClock()
        config.clock = clock
        try await withSimulator(config) { sim in
            try await SimClient.with(sim) { http in
                let missing = try await http.get("/v1/bookings", token: nil)
                #expect(missing.status == 401)
                #expect(missing.code == "UNAUTHORIZED")
                #expect(try await http.get("/v1/bookings", token: "made-up").status == 401)
                let token = try await http.token()
                #expect(try await http.get("/v1/bookings?limit=1", token: token).status == 200)
                clock.advance(by: .milliseconds(4900))
                #expect(try await http.get("/v1/bookings?limit=1", token: token).status == 200, "still inside its lifetime")
                clock.advance(by: .milliseconds(200))
                let expired = try await http.get("/v1/bookings?limit=1", token: token)
                #expect(expired.status == 401)
                #expect(expired.text.contains("expired"))

                sim.updateFaults { $0.tokenTTL = .seconds(60) }
                let fresh = try await http.token()
                #expect(try await http.get("/v1/bookings?limit=1", token: fresh).status == 200)
                sim.expireAllTokens()
                #expect(try await http.get("/v1/bookings?limit=1", token: fresh).status == 401)
            }
        }
    }

    @Test("/v1/me names the company and user")
    func me() async throws {
        let config = smallConfiguration()
        try await withSimulator(config) { sim in
            try await SimClient.with(sim) { http in
                let token = try await http.token()
                let response = try await http.get("/v1/me", token: token)
                #expect(response.status == 200)
                let object = try response.json()
                #expect(object["company_id"] as? String == config.companyID)
                #expect(object["company_name"] as? String == config.companyName)
                #expect(object["user_id"] as? String == config.userID)
                #expect(object["email"] as? String == config.email)
                #expect(response.body == sim.truth().me)
            }
        }
    }
}
