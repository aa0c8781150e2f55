import Foundation
import Testing

@testable import UnderstoryAPI

@Suite("Configuration from the environment")
struct ConfigurationTests {
    static let secret = "s3cr3t-~Zq7-Xk~9-very-private"
    let base = ["UNDERSTORY_CLIENT_ID": "client-1", "UNDERSTORY_CLIENT_SECRET": ConfigurationTests.secret]

    @Test("defaults are design.md's")
    func defaults() throws {
        let configuration = try UnderstoryConfiguration(environment: base)
        #expect(configuration.apiURL == "https://api.understory.io")
        #expect(configuration.authURL == "https://api.auth.understory.io")
        #expect(configuration.audience == "https://api.understory.io")
        #expect(configuration.scopes == ["openid", "order.read", "booking.read", "event.read", "experience.read"])
        #expect(configuration.rateLimitWait == .seconds(60))
        #expect(configuration.userAgent == "understory-sync/\(UnderstoryConfiguration.clientVersion)")
        #expect(configuration.clientID == "client-1")
        #expect(configuration.clientSecret.revealed == Self.secret)
    }

    @Test("every variable is read")
    func overrides() throws {
        var env = base
        env["UNDERSTORY_API_URL"] = "http://127.0.0.1:8080/"
        env["UNDERSTORY_AUTH_URL"] = "http://127.0.0.1:8081"
        env["UNDERSTORY_AUDIENCE"] = "aud"
        env["UNDERSTORY_SCOPES"] = "openid  order.read,booking.read order.read"
        env["UNDERSTORY_RATE_LIMIT_WAIT"] = "2.5"
        let configuration = try UnderstoryConfiguration(environment: env, version: "9.9")
        #expect(configuration.apiURL == "http://127.0.0.1:8080")
        #expect(configuration.authURL == "http://127.0.0.1:8081")
        #expect(configuration.audience == "aud")
        #expect(configuration.scopes == ["openid", "order.read", "booking.read"])
        #expect(configuration.rateLimitWait == .milliseconds(2500))
        #expect(configuration.userAgent == "understory-sync/9.9")
    }

    @Test("missing client id names the variable")
    func missingID() {
        #expect {
            try UnderstoryConfiguration(environment: ["UNDERSTORY_CLIENT_SECRET": "x"])
        } throws: { error in
            let error = error as? UnderstoryAPIError
            return error?.code == .missingConfiguration && error?.variable == "UNDERSTORY_CLIENT_ID"
                && "\(error!)".hasPrefix("UNDERSTORY_CLIENT_ID is not set: ")
        }
    }

    @Test("missing or empty secret names the variable")
    func missingSecret() {
        for env in [["UNDERSTORY_CLIENT_ID": "x"], ["UNDERSTORY_CLIENT_ID": "x", "UNDERSTORY_CLIENT_SECRET": ""]] {
            #expect {
                try UnderstoryConfiguration(environment: env)
            } throws: { error in
                "\(error)".hasPrefix("UNDERSTORY_CLIENT_SECRET is not set: ")
            }
        }
    }

    @Test("malformed values name their variable", arguments: [
        ("UNDERSTORY_API_URL", "ftp://x"), ("UNDERSTORY_AUTH_URL", "not a url"), ("UNDERSTORY_RATE_LIMIT_WAIT", "-1"),
        ("UNDERSTORY_RATE_LIMIT_WAIT", "soon"),
    ])
    func invalid(variable: String, value: String) {
        var env = base
        env[variable] = value
        #expect {
            try UnderstoryConfiguration(environment: env)
        } throws: { error in
            (error as? UnderstoryAPIError)?.code == .invalidConfiguration && "\(error)".hasPrefix("\(variable) is invalid")
        }
    }

    @Test("the secret never appears in description, debugDescription, dump or interpolation")
    func redaction() throws {
        let configuration = try UnderstoryConfiguration(environment: base)
        var dumped = ""
        dump(configuration, to: &dumped)
        let texts = [
            configuration.description, configuration.debugDescription, String(reflecting: configuration), "\(configuration)",
            dumped, "\(configuration.clientSecret)", String(reflecting: configuration.clientSecret),
        ]
        for text in texts {
            #expect(!text.contains(Self.secret))
            #expect(!text.contains("s3cr3t"))
        }
        #expect(configuration.description.contains("<redacted>"))
        #expect(configuration.description.contains("client-1"))
    }

    @Test("errors scrub the secret from server-provided text")
    func errorScrubbing() {
        let error = UnderstoryAPIError(code: .authenticationFailed, apiCode: "invalid_client", apiMessage: "bad secret \(Self.secret)")
            .scrubbing(Self.secret)
        #expect(!"\(error)".contains(Self.secret))
        #expect(!String(reflecting: error).contains(Self.secret))
        #expect("\(error)".hasPrefix("authentication failed: check UNDERSTORY_CLIENT_ID/UNDERSTORY_CLIENT_SECRET"))
    }

    @Test("error descriptions are one line and say what happened")
    func errorDescriptions() {
        let budget = UnderstoryAPIError(code: .retryBudgetExhausted, status: 503, path: "/v1/orders", attempts: 8)
        #expect("\(budget)" == "retry budget exhausted after 8 attempts: last 503 on /v1/orders")
        let forbidden = UnderstoryAPIError(code: .forbidden, status: 403, path: "/v1/orders", apiCode: "FORBIDDEN", requiredScope: "order.read")
        #expect("\(forbidden)".contains("lacks scope order.read"))
        let invalid = UnderstoryAPIError(code: .invalidResponse, path: "/v1/bookings", resource: "bookings", itemID: "b1", field: "customer.email", detail: "expected String")
        #expect("\(invalid)" == "invalid response on /v1/bookings (bookings, item id=b1, field customer.email): expected String")
        for error in [budget, forbidden, invalid] {
            #expect(!"\(error)".contains("\n"))
        }
    }
}
