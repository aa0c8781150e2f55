import Foundation
import Testing
import UnderstorySimulator

@Suite("many companies, connected in bulk")
struct BulkConnectTests {
    @Test("POST /_admin/bulk-connect?companies=N consents for the first N companies; each refresh token reads its own company")
    func bulkConnectRoute() async throws {
        var config = smallConfiguration()
        config.adminEnabled = true
        config.additionalCompanies = SimulatorCompany.numbered(40)
        try await withSimulator(config) { sim in
            #expect(sim.companyIDs.count == 41)
            try await SimClient.with(sim) { http in
                let response = try await http.send(.post, "/_admin/bulk-connect?companies=5")
                #expect(response.status == 200, "\(response.text)")
                let grants = try #require(try response.json()["grants"] as? [[String: Any]])
                #expect(grants.map { $0["company_id"] as? String } == sim.companyIDs.prefix(5).map { Optional($0) })
                #expect((grants[0]["scopes"] as? String)?.contains("offline") == true)
                #expect(Set(grants.compactMap { $0["refresh_token"] as? String }).count == 5)

                // The fourth company's token refreshes and /v1/me names that company.
                let refreshed = try await http.refresh(try #require(grants[3]["refresh_token"] as? String))
                #expect(refreshed.status == 200, "\(refreshed.text)")
                let access = try #require(try refreshed.json()["access_token"] as? String)
                #expect(try await http.get("/v1/me", token: access).json()["company_id"] as? String == sim.companyIDs[3])

                let tooMany = try await http.send(.post, "/_admin/bulk-connect?companies=42")
                #expect(tooMany.status == 400)
            }
            // In process: every company, and the grants are counted like code exchanges.
            let all = sim.bulkConnect()
            #expect(all.count == 41)
            #expect(sim.oauthStatistics.codeExchanges == 46)
        }
    }

    @Test("a thousand companies cost only those asked: data is generated on first use and is the same as generated at once")
    func lazyCompanies() async throws {
        var config = smallConfiguration()
        config.additionalCompanies = SimulatorCompany.numbered(1000)
        let sim = Simulator(configuration: config)
        #expect(sim.companyIDs.count == 1001)
        #expect(sim.generatedCompanies == 1, "only the primary company is generated up front")
        let id = sim.companyIDs[500]
        var single = smallConfiguration()
        single.additionalCompanies = [config.additionalCompanies[499]]
        let eager = Simulator(configuration: single)
        #expect(sim.truth(company: id).bookings.mapValues(\.json) == eager.truth(company: id).bookings.mapValues(\.json))
        #expect(!sim.truth(company: id).bookings.isEmpty)
        #expect(sim.generatedCompanies == 2)
    }
}
