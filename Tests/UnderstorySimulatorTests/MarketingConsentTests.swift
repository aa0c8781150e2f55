import Foundation
import SyncTestSupport
import Testing
import UnderstorySimulator

@Suite("marketing consents route")
struct MarketingConsentTests {
    static func configuration() -> SimulatorConfiguration {
        var config = smallConfiguration()
        config.clients[0].scopes.insert("marketing.read")
        return config
    }

    static let scope = "openid marketing.read"

    @Test("GET /v1/marketing-consents pages every consent with the documented fields and no timestamps, deterministically from the seed")
    func listsEveryConsent() async throws {
        try await withSimulator(Self.configuration()) { sim in
            try await SimClient.with(sim) { http in
                let token = try await http.token(scope: Self.scope)
                let pages = try await http.pages("/v1/marketing-consents", limit: 4, token: token)
                let ids = pages.flatMap(\.ids)
                #expect(pages.count > 1)
                #expect(ids.count == 15)  // a quarter of the 60 bookings
                #expect(Set(ids) == Set(sim.truth().marketingConsents.keys))
                #expect(ids == sim.ids(.marketingConsents))
                for item in sim.truth().marketingConsents.values {
                    let object = try #require(try JSONSerialization.jsonObject(with: Data(item.json.utf8)) as? [String: Any])
                    for field in ["id", "company_id", "full_name", "email", "source"] { #expect(object[field] is String, "\(field)") }
                    #expect(object["created_at"] == nil && object["updated_at"] == nil)
                }
                let single = try await http.get("/v1/marketing-consents/\(ids[0])", token: token)
                #expect(single.status == 200)
                #expect(single.body == sim.truth().marketingConsents[ids[0]]?.raw)
            }
            // Same seed, same consents.
            try await withSimulator(Self.configuration()) { again in
                #expect(again.truth().marketingConsents == sim.truth().marketingConsents)
            }
        }
    }

    @Test("the consents need marketing.read (403 without it) and take only limit and cursor (400 for any filter)")
    func scopeAndStrictQuery() async throws {
        try await withSimulator(Self.configuration()) { sim in
            try await SimClient.with(sim) { http in
                let withoutScope = try await http.token()
                let forbidden = try await http.get("/v1/marketing-consents", token: withoutScope)
                #expect(forbidden.status == 403)
                #expect(forbidden.code == "FORBIDDEN")
                let token = try await http.token(scope: Self.scope)
                #expect(try await http.get("/v1/marketing-consents?limit=100", token: token).status == 200)
                for query in ["from=2026-01-01T00:00:00Z", "sort=-created_at", "updated_since=2026-01-01T00:00:00Z", "limit=0", "limit=101"] {
                    let response = try await http.get("/v1/marketing-consents?\(query)", token: token)
                    #expect(response.status == 400, "\(query)")
                    #expect(response.code == "BAD_REQUEST", "\(query)")
                }
                let id = try #require(sim.ids(.marketingConsents).first)
                #expect(sim.delete(.marketingConsents, id: id))
                #expect(try await http.get("/v1/marketing-consents/\(id)", token: token).status == 404)
                #expect(sim.restore(.marketingConsents, id: id))
                #expect(try await http.get("/v1/marketing-consents/\(id)", token: token).status == 200)
            }
        }
    }
}
