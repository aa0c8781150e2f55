import Foundation
import SyncTestSupport
import Testing
import UnderstorySimulator

@Suite("third-party apps (authorization_code + PKCE, refresh_token)")
struct OAuthTests {
    @Test("discovery lists the authorization and revocation endpoints and S256")
    func discovery() async throws {
        try await withSimulator(smallConfiguration()) { sim in
            try await SimClient.with(sim) { http in
                let object = try await http.send(.get, "/.well-known/openid-configuration").json()
                #expect(object["authorization_endpoint"] as? String == sim.baseURL + "/oauth2/auth")
                #expect(object["revocation_endpoint"] as? String == sim.baseURL + "/oauth2/revoke")
                #expect(object["code_challenge_methods_supported"] as? [String] == ["S256"])
            }
        }
    }

    @Test("authorize redirects with a code and the state; the code and the right verifier buy tokens for the primary company")
    func fullFlow() async throws {
        let config = smallConfiguration()
        try await withSimulator(config) { sim in
            try await SimClient.with(sim) { http in
                let state = "a b&c=d/%?+~"
                let response = try await http.authorize(state: state)
                #expect(response.status == 302)
                let redirect = try #require(Redirect(response.header("Location")))
                #expect(redirect.base == loopbackRedirect)
                #expect(redirect.query["state"] == state)
                let code = try #require(redirect.query["code"])

                let exchange = try await http.exchange(code: code)
                #expect(exchange.status == 200, "\(exchange.text)")
                #expect(exchange.header("Cache-Control") == "no-store")
                let object = try exchange.json()
                let access = try #require(object["access_token"] as? String)
                #expect(object["refresh_token"] as? String != nil)
                #expect(object["token_type"] as? String == "bearer")
                #expect(object["expires_in"] as? Int == 3600)
                #expect(object["scope"] as? String == "booking.read event.read experience.read offline openid order.read")

                let me = try await http.get("/v1/me", token: access)
                #expect(me.status == 200)
                #expect((try me.json())["company_id"] as? String == config.companyID)
                #expect(try await http.get("/v1/bookings?limit=2", token: access).status == 200)
                let stats = sim.oauthStatistics
                #expect(stats.authorizations == 1)
                #expect(stats.codeExchanges == 1)
                #expect(sim.liveRefreshTokenCount() == 1)
            }
        }
    }

    @Test("a redirect_uri with a query gets the code appended with &")
    func redirectWithQuery() async throws {
        try await withSimulator(smallConfiguration()) { sim in
            try await SimClient.with(sim) { http in
                let response = try await http.authorize(redirectURI: "http://localhost:8123/cb?tenant=x")
                let location = try #require(response.header("Location"))
                #expect(location.hasPrefix("http://localhost:8123/cb?tenant=x&"))
                #expect(Redirect(location)?.query["code"] != nil)
            }
        }
    }

    @Test("without offline there is no refresh token")
    func noOffline() async throws {
        try await withSimulator(smallConfiguration()) { sim in
            try await SimClient.with(sim) { http in
                let tokens = try await http.appTokens(scope: "openid booking.read")
                #expect(tokens.refresh == nil)
                #expect(try await http.get("/v1/orders", token: tokens.access).status == 403)
            }
        }
    }

    @Test("a wrong verifier is invalid_grant and uses the code up")
    func wrongVerifier() async throws {
        try await withSimulator(smallConfiguration()) { sim in
            try await SimClient.with(sim) { http in
                let code = try await http.authorizationCode()
                let wrong = try await http.exchange(code: code, verifier: String(repeating: "x", count: 43))
                #expect(wrong.status == 400)
                #expect(wrong.oauthError == "invalid_grant")
                let again = try await http.exchange(code: code)
                #expect(again.oauthError == "invalid_grant")
                let short = try await http.exchange(code: try await http.authorizationCode(), verifier: "too-short")
                #expect(short.oauthError == "invalid_grant")
                #expect(sim.oauthStatistics.codeExchangeFailures == 3)
                #expect(sim.oauthStatistics.codeExchanges == 0)
            }
        }
    }

    @Test("a code is single use: a second exchange is invalid_grant and revokes the tokens of the first")
    func codeReuse() async throws {
        try await withSimulator(smallConfiguration()) { sim in
            try await SimClient.with(sim) { http in
                let code = try await http.authorizationCode()
                let first = try await http.exchange(code: code)
                let access = try #require(try first.json()["access_token"] as? String)
                let refresh = try #require(try first.json()["refresh_token"] as? String)
                #expect(try await http.get("/v1/me", token: access).status == 200)
                let second = try await http.exchange(code: code)
                #expect(second.status == 400)
                #expect(second.oauthError == "invalid_grant")
                #expect(try await http.get("/v1/me", token: access).status == 401)
                #expect(try await http.refresh(refresh).oauthError == "invalid_grant")
                #expect(try await http.exchange(code: "ac.made-up").oauthError == "invalid_grant")
            }
        }
    }

    @Test("a code is bound to its client: another app presenting it gets invalid_grant")
    func codeBoundToClient() async throws {
        var config = smallConfiguration()
        config.apps.append(SimulatorApp(id: "other-app", secret: "other-secret"))
        try await withSimulator(config) { sim in
            try await SimClient.with(sim) { http in
                let code = try await http.authorizationCode()
                let stolen = try await http.exchange(code: code, clientID: "other-app", secret: "other-secret")
                #expect(stolen.oauthError == "invalid_grant")
                #expect(try await http.exchange(code: code).status == 200)
            }
        }
    }

    @Test("an expired code is invalid_grant")
    func expiredCode() async throws {
        var config = smallConfiguration()
        config.faults.authorizationCodeTTL = .seconds(60)
        let clock = VirtualClock()
        config.clock = clock
        try await withSimulator(config) { sim in
            try await SimClient.with(sim) { http in
                let code = try await http.authorizationCode()
                clock.advance(by: .seconds(61))
                let late = try await http.exchange(code: code)
                #expect(late.status == 400)
                #expect(late.oauthError == "invalid_grant")
            }
        }
    }

    @Test("redirect URIs: unregistered ones get a 400 page, never a redirect; loopback ports are free; the exchange must repeat it")
    func redirectURIs() async throws {
        var config = smallConfiguration()
        config.apps = [SimulatorApp(id: "reg-app", secret: "reg-secret", redirectURIs: ["http://127.0.0.1/callback", "https://app.example/cb"])]
        try await withSimulator(config) { sim in
            try await SimClient.with(sim) { http in
                for uri in ["http://127.0.0.1:5555/callback", "http://127.0.0.1/callback", "https://app.example/cb"] {
                    let ok = try await http.authorize(redirectURI: uri)
                    #expect(ok.status == 302, "\(uri)")
                    #expect(Redirect(ok.header("Location"))?.base == uri)
                }
                for uri in ["http://127.0.0.1:5555/other", "https://evil.example/cb", "https://app.example:444/cb", "http://localhost:5555/callback"] {
                    let bad = try await http.authorize(redirectURI: uri)
                    #expect(bad.status == 400, "\(uri)")
                    #expect(bad.header("Location") == nil)
                }
                let unknown = try await http.authorize(clientID: "nobody")
                #expect(unknown.status == 400)
                #expect(unknown.header("Location") == nil)

                let code = try #require(Redirect(try await http.authorize(redirectURI: "http://127.0.0.1:5555/callback").header("Location"))?.query["code"])
                let mismatch = try await http.exchange(code: code, redirectURI: "http://127.0.0.1:5556/callback", clientID: "reg-app", secret: "reg-secret")
                #expect(mismatch.oauthError == "invalid_grant")
            }
        }
        // Nothing registered: any http loopback URI, nothing else.
        try await withSimulator(smallConfiguration()) { sim in
            try await SimClient.with(sim) { http in
                let loopback = try await http.authorize(redirectURI: "http://localhost:1/x")
                #expect(loopback.status == 302)
                let https = try await http.authorize(redirectURI: "https://127.0.0.1:8443/x")
                #expect(https.status == 400)
                let remote = try await http.authorize(redirectURI: "http://example.com:80/x")
                #expect(remote.status == 400)
            }
        }
    }

    @Test("bad requests after the redirect URI is trusted come back as redirect errors with the state")
    func redirectErrors() async throws {
        try await withSimulator(smallConfiguration()) { sim in
            try await SimClient.with(sim) { http in
                let cases: [(HTTPResult, String)] = [
                    (try await http.authorize(challenge: nil), "invalid_request"),
                    (try await http.authorize(method: "plain"), "invalid_request"),
                    (try await http.authorize(method: nil), "invalid_request"),
                    (try await http.authorize(responseType: "token"), "unsupported_response_type"),
                    (try await http.authorize(scope: "openid booking.write"), "invalid_scope"),
                ]
                for (response, error) in cases {
                    #expect(response.status == 302)
                    let redirect = try #require(Redirect(response.header("Location")))
                    #expect(redirect.query["error"] == error)
                    #expect(redirect.query["state"] == "st-123")
                    #expect(redirect.query["code"] == nil)
                }
            }
        }
    }

    @Test("a denied consent redirects with access_denied and the state")
    func deny() async throws {
        var config = smallConfiguration()
        config.adminEnabled = true
        try await withSimulator(config) { sim in
            try await SimClient.with(sim) { http in
                sim.setConsent(.deny)
                let response = try await http.authorize(state: "keep me")
                #expect(response.status == 302)
                let redirect = try #require(Redirect(response.header("Location")))
                #expect(redirect.query["error"] == "access_denied")
                #expect(redirect.query["error_description"] != nil)
                #expect(redirect.query["state"] == "keep me")
                #expect(redirect.query["code"] == nil)
                #expect(sim.oauthStatistics.denials == 1)

                #expect(try await http.send(.post, "/_admin/consent?decision=approve").status == 200)
                #expect(sim.consent == .approve(companyID: nil))
                #expect(try await http.authorize().status == 302)
                #expect(sim.oauthStatistics.authorizations == 1)
            }
        }
    }

    @Test("apps may not use client_credentials and integration keys may not use the app grants")
    func unauthorizedClient() async throws {
        try await withSimulator(smallConfiguration()) { sim in
            try await SimClient.with(sim) { http in
                let app = try await http.tokenResponse(id: sim.appID, secret: sim.appSecret)
                #expect(app.status == 400)
                #expect(app.oauthError == "unauthorized_client")
                let code = try await http.authorizationCode()
                let key = try await http.exchange(code: code, clientID: sim.clientID, secret: sim.clientSecret)
                #expect(key.oauthError == "unauthorized_client")
                let wrongSecret = try await http.exchange(code: code, secret: "nope")
                #expect(wrongSecret.status == 401)
                #expect(wrongSecret.oauthError == "invalid_client")
            }
        }
    }

    @Test("refresh rotates: a new pair each time, the old refresh token is dead, and re-using it revokes the chain")
    func rotation() async throws {
        try await withSimulator(smallConfiguration()) { sim in
            try await SimClient.with(sim) { http in
                let first = try await http.appTokens()
                let refresh1 = try #require(first.refresh)
                let rotated = try await http.refresh(refresh1)
                #expect(rotated.status == 200, "\(rotated.text)")
                let access2 = try #require(try rotated.json()["access_token"] as? String)
                let refresh2 = try #require(try rotated.json()["refresh_token"] as? String)
                #expect(refresh2 != refresh1)
                #expect(access2 != first.access)
                #expect(try await http.get("/v1/me", token: access2).status == 200)
                #expect(sim.liveRefreshTokenCount() == 1)

                let narrowed = try await http.refresh(refresh2, scope: "openid booking.read")
                #expect((try narrowed.json())["scope"] as? String == "booking.read openid")
                let access3 = try #require(try narrowed.json()["access_token"] as? String)
                let refresh3 = try #require(try narrowed.json()["refresh_token"] as? String)
                #expect(try await http.get("/v1/orders", token: access3).status == 403)

                // Re-using refresh2 (rotated) kills the chain: refresh3 and its access token too.
                let reuse = try await http.refresh(refresh2)
                #expect(reuse.status == 400)
                #expect(reuse.oauthError == "invalid_grant")
                #expect(try await http.refresh(refresh3).oauthError == "invalid_grant")
                #expect(try await http.get("/v1/me", token: access3).status == 401)
                #expect(sim.liveRefreshTokenCount() == 0)
                let stats = sim.oauthStatistics
                #expect(stats.refreshes == 2)
                #expect(stats.refreshReuseRejected == 1)
            }
        }
    }

    @Test("a broader scope on refresh is invalid_scope")
    func refreshScope() async throws {
        try await withSimulator(smallConfiguration()) { sim in
            try await SimClient.with(sim) { http in
                let tokens = try await http.appTokens(scope: "openid booking.read offline")
                let refresh = try #require(tokens.refresh)
                #expect(try await http.refresh(refresh, scope: "openid order.read").oauthError == "invalid_scope")
                #expect(try await http.refresh(refresh).status == 200)
            }
        }
    }

    @Test("within the reuse grace the previous refresh token returns the same new pair")
    func reuseGrace() async throws {
        var config = smallConfiguration()
        config.faults.refreshTokenReuseGrace = .seconds(30)
        try await withSimulator(config) { sim in
            try await SimClient.with(sim) { http in
                let refresh1 = try #require(try await http.appTokens().refresh)
                let a = try await http.refresh(refresh1).json()
                let b = try await http.refresh(refresh1).json()
                #expect(a["refresh_token"] as? String == b["refresh_token"] as? String)
                #expect(a["access_token"] as? String == b["access_token"] as? String)
                let refresh2 = try #require(a["refresh_token"] as? String)
                #expect(try await http.refresh(refresh2).status == 200)
                // refresh1's successor is rotated now: no more grace for refresh1.
                #expect(try await http.refresh(refresh1).oauthError == "invalid_grant")
            }
        }
    }

    @Test("revoking a refresh token at /oauth2/revoke ends the chain: refresh is invalid_grant, the access token 401")
    func revokeEndpoint() async throws {
        try await withSimulator(smallConfiguration()) { sim in
            try await SimClient.with(sim) { http in
                let tokens = try await http.appTokens()
                let refresh = try #require(tokens.refresh)
                let revoke = try await http.form(
                    "/oauth2/revoke",
                    [("token", refresh), ("token_type_hint", "refresh_token"), ("client_id", sim.appID), ("client_secret", sim.appSecret)]
                )
                #expect(revoke.status == 200)
                #expect(try await http.refresh(refresh).oauthError == "invalid_grant")
                #expect(try await http.get("/v1/me", token: tokens.access).status == 401)
                let unknown = try await http.form("/oauth2/revoke", [("token", "nope"), ("client_id", sim.appID), ("client_secret", sim.appSecret)])
                #expect(unknown.status == 200)
                let badClient = try await http.form("/oauth2/revoke", [("token", "nope"), ("client_id", sim.appID), ("client_secret", "x")])
                #expect(badClient.status == 401)
                #expect(sim.oauthStatistics.revocations == 1)
            }
        }
    }

    @Test("revoking an access token ends only that token; another client's token is left alone")
    func revokeAccessToken() async throws {
        try await withSimulator(smallConfiguration()) { sim in
            try await SimClient.with(sim) { http in
                let tokens = try await http.appTokens()
                let key = try await http.token()
                let foreign = try await http.form(
                    "/oauth2/revoke", [("token", key), ("client_id", sim.appID), ("client_secret", sim.appSecret)]
                )
                #expect(foreign.status == 200)
                #expect(try await http.get("/v1/me", token: key).status == 200)
                let revoke = try await http.form(
                    "/oauth2/revoke",
                    [("token", tokens.access), ("token_type_hint", "access_token"), ("client_id", sim.appID), ("client_secret", sim.appSecret)]
                )
                #expect(revoke.status == 200)
                #expect(try await http.get("/v1/me", token: tokens.access).status == 401)
                #expect(try await http.refresh(try #require(tokens.refresh)).status == 200)
            }
        }
    }

    @Test("revokeConsent and /_admin/revoke-consent end every chain of that company only")
    func revokeConsent() async throws {
        var config = smallConfiguration()
        config.adminEnabled = true
        config.additionalCompanies = [SimulatorCompany(id: "second", name: "Second ApS", seed: 99)]
        try await withSimulator(config) { sim in
            try await SimClient.with(sim) { http in
                let primary = try await http.appTokens()
                sim.setConsent(.approve(companyID: "second"))
                let second = try await http.appTokens()
                sim.revokeConsent(company: nil)
                #expect(try await http.refresh(try #require(primary.refresh)).oauthError == "invalid_grant")
                #expect(try await http.get("/v1/me", token: primary.access).status == 401)
                #expect(try await http.get("/v1/me", token: second.access).status == 200)
                #expect(sim.liveRefreshTokenCount(company: "second") == 1)

                #expect(try await http.send(.post, "/_admin/revoke-consent?company=second").status == 200)
                #expect(try await http.refresh(try #require(second.refresh)).oauthError == "invalid_grant")
                #expect(try await http.get("/v1/me", token: second.access).status == 401)
                let stats = try await http.send(.get, "/_admin/stats").json()
                let oauth = try #require(stats["oauth"] as? [String: Any])
                #expect(oauth["code_exchanges"] as? Int == 2)
                #expect(oauth["revocations"] as? Int == 2)
            }
        }
    }

    @Test("client secrets never appear in answers")
    func noSecrets() async throws {
        try await withSimulator(smallConfiguration()) { sim in
            try await SimClient.with(sim) { http in
                let code = try await http.authorizationCode()
                let bad = try await http.exchange(code: code, secret: "WRONG-SECRET-XYZZY")
                #expect(!bad.text.contains("XYZZY"))
                let good = try await http.exchange(code: try await http.authorizationCode())
                #expect(!good.text.contains(sim.appSecret))
            }
        }
    }
}
