import AsyncHTTPClient
import Foundation
import Logging
import Testing
import UnderstorySimulator

import SyncTestSupport
@testable import UnderstoryAPI

@Suite("Authentication over HTTP")
struct AuthHTTPTests {
    @Test("client credentials with discovery: /v1/me answers and the granted scopes are listed")
    func authSuccess() async throws {
        try await withSimulatorClient { sim, client in
            let me = try await client.me()
            #expect(me.companyID == sim.configuration.companyID)
            #expect(me.raw == String(decoding: sim.truth().me, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
            let report = try await client.checkScopes()
            #expect(report.missing.isEmpty)
            #expect(Set(report.granted ?? []) == Set(client.configuration.scopes))
            #expect(client.statistics.tokensFetched == 1)
            #expect(sim.requestCount(pathPrefix: "/.well-known/openid-configuration") == 1)
        }
    }

    @Test("wrong secret: a clear authentication error without the secret in it or in the logs")
    func wrongSecret() async throws {
        let wrong = "wrong-~secret-XYZ-123"
        let capture = LogCapture()
        try await withSimulatorClient(secret: wrong, logger: capture.logger()) { sim, client in
            let error = await expectAPIError { _ = try await client.me() }
            #expect(error?.code == .authenticationFailed)
            #expect(error?.status == 401)
            #expect(error?.apiCode == "invalid_client")
            let text = "\(error.map { "\($0)" } ?? "")"
            #expect(text.hasPrefix("authentication failed: check UNDERSTORY_CLIENT_ID/UNDERSTORY_CLIENT_SECRET"))
            #expect(!text.contains(wrong))
            #expect(!String(reflecting: error as Any).contains(wrong))
            #expect(!capture.lines.joined().contains(wrong))
            #expect(sim.requestCount(pathPrefix: "/oauth2/token") == 1, "an auth failure is not retried")
        }
    }

    @Test("invalid_scope: asked again once without the scopes it names; what is left is granted and the refused ones are known")
    func invalidScopeNarrows() async throws {
        try await withSimulator(SimulatorConfiguration(seed: 1, bookings: 5, orders: 5, events: 5)) { sim in
            var configuration = try UnderstoryConfiguration.forSimulator(sim)
            configuration.clientID = "sim-bookings-only"
            configuration.clientSecret = Secret("bookings-only-~secret")
            try await withHTTPClient(configuration) { http in
                let client = UnderstoryClient(configuration: configuration, httpClient: http, logger: quietLogger)
                _ = try await client.me()
                #expect(await client.tokens.refusedScopes == ["order.read", "event.read", "experience.read"])
                #expect(await client.tokens.lacks("order.read") == true)
                #expect(await client.tokens.lacks("booking.read") == false)
                #expect(sim.requestCount(pathPrefix: "/oauth2/token") == 2)
            }
        }
    }

    @Test("invalid_scope that names nothing: asked again once with the fallback set; a second refusal is .forbidden, not retried again")
    func invalidScopeTwice() async throws {
        var simulatorConfiguration = SimulatorConfiguration(seed: 1, bookings: 5, orders: 5, events: 5)
        simulatorConfiguration.faults.invalidScopeUnnamed = true
        try await withSimulator(simulatorConfiguration) { sim in
            var configuration = try UnderstoryConfiguration.forSimulator(sim)
            configuration.clientID = "sim-bookings-only"
            configuration.clientSecret = Secret("bookings-only-~secret")
            try await withHTTPClient(configuration) { http in
                let client = UnderstoryClient(configuration: configuration, httpClient: http, logger: quietLogger)
                let error = await expectAPIError { _ = try await client.me() }
                #expect(error?.code == .forbidden)
                #expect(error?.apiCode == "invalid_scope")
                #expect(error?.description.contains("openid booking.read event.read experience.read") == true, "\(String(describing: error))")
                #expect(sim.requestCount(pathPrefix: "/oauth2/token") == 2)
            }
        }
    }

    @Test("narrowing keeps openid and drops exactly the scopes a refusal names, as whole words")
    func narrowing() {
        let requested = ["openid", "order.read", "booking.read", "marketing.read"]
        let fallback = UnderstoryConfiguration.Default.fallbackScopes
        #expect(TokenSource.narrow(requested, refusal: "scope not allowed for this client: marketing.read order.read", fallback: fallback) == ["openid", "booking.read"])
        #expect(TokenSource.narrow(requested, refusal: "invalid scope", fallback: fallback) == ["openid", "booking.read"])
        #expect(TokenSource.narrow(requested, refusal: "the scope 'order.read' is not allowed", fallback: fallback) == ["openid", "booking.read", "marketing.read"])
        #expect(TokenSource.narrow(requested, refusal: nil, fallback: fallback) == ["openid", "booking.read"])
    }

    @Test("403 from the API names the scope the endpoint needs")
    func forbiddenEndpoint() async throws {
        try await withSimulator(SimulatorConfiguration(seed: 1, bookings: 5, orders: 5, events: 5)) { sim in
            var configuration = try UnderstoryConfiguration.forSimulator(sim)
            configuration.clientID = "sim-bookings-only"
            configuration.clientSecret = Secret("bookings-only-~secret")
            configuration.scopes = ["openid", "booking.read"]
            try await withHTTPClient(configuration) { http in
                let client = UnderstoryClient(configuration: configuration, httpClient: http, logger: quietLogger)
                let bookings = try await client.bookings().collectItems()
                #expect(bookings.count == 5)
                let error = await expectAPIError { _ = try await client.orders().collectItems() }
                #expect(error?.code == .forbidden)
                #expect(error?.status == 403)
                #expect(error?.requiredScope == "order.read")
                #expect("\(error.map { "\($0)" } ?? "")".contains("lacks scope order.read"))
            }
        }
    }

    @Test("401 UNAUTHORIZED on a list right after a fresh token names the scope it may lack and points to check")
    func unauthorizedMissingScope() async throws {
        var simulator = SimulatorConfiguration(seed: 1, bookings: 5, orders: 5, events: 5)
        simulator.faults.missingScopeUnauthorized = true
        try await withSimulator(simulator) { sim in
            var configuration = try UnderstoryConfiguration.forSimulator(sim)
            configuration.clientID = "sim-bookings-only"
            configuration.clientSecret = Secret("bookings-only-~secret")
            configuration.scopes = ["openid", "booking.read"]
            try await withHTTPClient(configuration) { http in
                let client = UnderstoryClient(configuration: configuration, httpClient: http, logger: quietLogger)
                let bookings = try await client.bookings().collectItems()
                #expect(bookings.count == 5)
                let error = await expectAPIError { _ = try await client.orders().collectItems() }
                #expect(error?.code == .authenticationFailed)
                #expect(error?.status == 401)
                #expect(error?.requiredScope == "order.read")
                let text = "\(error.map { "\($0)" } ?? "")"
                #expect(text.contains("may lack scope order.read"), "\(text)")
                #expect(text.contains("understory-sync check"), "\(text)")
                #expect(sim.requestCount(pathPrefix: "/oauth2/token") == 2, "one fresh token after the first 401, then the error")
            }
        }
    }

    @Test("expired token mid-paging is refreshed transparently (short TTL)")
    func shortTTL() async throws {
        var config = SimulatorConfiguration(seed: 3, bookings: 40, orders: 5, events: 5)
        // On one virtual time line, 20 pages at 150 ms of latency outlive a 3 s token.
        config.faults.tokenTTL = .seconds(3)
        config.faults.latency = .milliseconds(150)
        try await withSimulatorClient(config, clock: VirtualClock()) { sim, client in
            let items = try await client.bookings(ListQuery(limit: 2)).collectItems()
            #expect(items.count == 40)
            #expect(Set(items.map(\.id)) == Set(sim.truth().bookings.keys))
            #expect(client.statistics.tokensFetched >= 2)
            // Mostly refreshed ahead of expiry; a request checked by the server just after expiry
            // (the simulator checks tokens after its latency) is refreshed through the 401 path.
            #expect(sim.requestCount(pathPrefix: "/v1/bookings", status: 401) == client.statistics.unauthorizedRefreshes)
        }
    }

    @Test("a token the API rejects with 401 is dropped, refetched and the request retried once")
    func unauthorizedRefresh() async throws {
        try await withSimulatorClient { sim, client in
            var pages = 0
            var count = 0
            for try await page in client.bookings(ListQuery(limit: 10)) {
                pages += 1
                count += page.items.count
                if pages == 2 { sim.expireAllTokens() }
            }
            #expect(count == sim.truth().bookings.count)
            #expect(sim.requestCount(pathPrefix: "/v1/bookings", status: 401) == 1)
            #expect(client.statistics.unauthorizedRefreshes == 1)
            #expect(client.statistics.tokensFetched == 2)
        }
    }

    @Test("concurrent callers share one token request")
    func sharedTokenRequest() async throws {
        try await withSimulatorClient { sim, client in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<16 {
                    group.addTask { _ = try await client.me() }
                }
                try await group.waitForAll()
            }
            #expect(sim.requestCount(pathPrefix: "/oauth2/token") == 1)
            #expect(client.statistics.tokensFetched == 1)
        }
    }

    @Test("neither the secret nor the token is ever logged, even at trace level")
    func nothingSecretLogged() async throws {
        let capture = LogCapture()
        try await withSimulatorClient(logger: capture.logger()) { sim, client in
            _ = try await client.me()
            _ = try await client.bookings(ListQuery(limit: 50)).collectItems()
            let token = try await client.tokens.token(logger: quietLogger)
            let all = capture.lines.joined(separator: "\n")
            #expect(!capture.lines.isEmpty)
            #expect(!all.contains(sim.clientSecret))
            #expect(!all.contains(token.value))
            #expect(!"\(token)".contains(token.value))
            #expect(all.contains("resource=bookings"))
            #expect(all.contains("page=1"))
        }
    }
}
