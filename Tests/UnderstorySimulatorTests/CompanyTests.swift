import Foundation
import Testing
import UnderstorySimulator

@Suite("several companies")
struct CompanyTests {
    static let secondID = "c0mp4ny-5eed-4b1d-9e11-0000000000b2"

    static func twoCompanies(sharedIDs: Bool) -> SimulatorConfiguration {
        var config = smallConfiguration()
        config.adminEnabled = true
        config.additionalCompanies = [
            SimulatorCompany(id: secondID, name: "Second Company ApS", seed: 4242, idSeed: sharedIDs ? config.seed : nil)
        ]
        config.clients.append(SimulatorClient(id: "second-key", secret: "second-~secret", companyID: secondID))
        return config
    }

    @Test("without additional companies only the primary is served")
    func defaultIsPrimaryOnly() async throws {
        let config = smallConfiguration()
        try await withSimulator(config) { sim in
            #expect(sim.companyIDs == [config.companyID])
            #expect(sim.truth().bookings.count == sim.truth(company: config.companyID).bookings.count)
        }
    }

    @Test("/v1/me and the lists answer with the data of the company the app was authorized for")
    func perCompanyData() async throws {
        let config = Self.twoCompanies(sharedIDs: false)
        try await withSimulator(config) { sim in
            try await SimClient.with(sim) { http in
                let primary = try await http.appTokens().access
                sim.setConsent(.approve(companyID: Self.secondID))
                let second = try await http.appTokens().access

                let me = try await http.get("/v1/me", token: second).json()
                #expect(me["company_id"] as? String == Self.secondID)
                #expect(me["company_name"] as? String == "Second Company ApS")
                #expect(me["user_id"] as? String != nil)
                #expect(me["email"] as? String != nil)
                #expect((try await http.get("/v1/me", token: primary).json())["company_id"] as? String == config.companyID)

                let secondIDs = try await http.pages("/v1/bookings", limit: 100, token: second).flatMap(\.ids)
                #expect(secondIDs == sim.ids(.bookings, company: Self.secondID))
                let primaryIDs = try await http.pages("/v1/bookings", limit: 100, token: primary).flatMap(\.ids)
                #expect(primaryIDs == sim.ids(.bookings))
                #expect(Set(secondIDs).isDisjoint(with: primaryIDs))

                let bookings = try await http.get("/v1/bookings?limit=5", token: second).json()
                for item in bookings["items"] as? [[String: Any]] ?? [] {
                    #expect(item["company_id"] as? String == Self.secondID)
                }
                let truth = sim.truth(company: Self.secondID)
                let someID = try #require(secondIDs.first)
                let one = try await http.get("/v1/bookings/\(someID)", token: second)
                #expect(one.body == truth.bookings[someID]?.raw)
                #expect(try await http.get("/v1/bookings/\(someID)", token: primary).status == 404)
            }
        }
    }

    @Test("with shared ids the same id has different content in each company")
    func sharedIDs() async throws {
        let config = Self.twoCompanies(sharedIDs: true)
        try await withSimulator(config) { sim in
            try await SimClient.with(sim) { http in
                let a = sim.truth()
                let b = sim.truth(company: Self.secondID)
                for resource in SimulatorResource.allCases {
                    #expect(Set(a[resource].keys) == Set(b[resource].keys), "\(resource)")
                }
                var differing = 0
                for (id, item) in a.bookings where item.raw != b.bookings[id]?.raw { differing += 1 }
                #expect(differing == a.bookings.count)
                // Not only company_id: the content itself (here created_at) is the second company's own.
                let otherTimes = a.bookings.filter { $0.value.createdAtMicroseconds != b.bookings[$0.key]?.createdAtMicroseconds }
                #expect(otherTimes.count > a.bookings.count / 2)

                let primary = try await http.appTokens().access
                sim.setConsent(.approve(companyID: Self.secondID))
                let second = try await http.appTokens().access
                let id = try #require(a.orders.keys.sorted().first)
                let fromA = try await http.get("/v1/orders/\(id)", token: primary)
                let fromB = try await http.get("/v1/orders/\(id)", token: second)
                #expect(fromA.status == 200)
                #expect(fromB.status == 200)
                #expect(fromA.body != fromB.body)
                let booking = try #require(a.bookings.keys.sorted().first)
                let bookingA = try await http.get("/v1/bookings/\(booking)", token: primary).json()
                let bookingB = try await http.get("/v1/bookings/\(booking)", token: second).json()
                #expect(bookingA["company_id"] as? String == config.companyID)
                #expect(bookingB["company_id"] as? String == Self.secondID)
            }
        }
    }

    @Test("an integration key of the second company reads that company; a cursor does not cross companies")
    func integrationKeyForSecondCompany() async throws {
        let config = Self.twoCompanies(sharedIDs: true)
        try await withSimulator(config) { sim in
            try await SimClient.with(sim) { http in
                let second = try await http.token(id: "second-key", secret: "second-~secret")
                let primary = try await http.token()
                #expect((try await http.get("/v1/me", token: second).json())["company_id"] as? String == Self.secondID)
                #expect((try await http.get("/v1/me", token: second).body) == sim.truth(company: Self.secondID).me)

                let page = try await http.get("/v1/bookings?limit=2", token: second).json()
                let next = try #require(page["next"] as? String)
                let crossed = try await http.get("/v1/bookings?limit=2&cursor=\(next)", token: primary)
                #expect(crossed.status == 400)
                #expect(crossed.code == "INVALID_CURSOR")
                #expect(try await http.get("/v1/bookings?limit=2&cursor=\(next)", token: second).status == 200)
            }
        }
    }

    @Test("mutations and admin routes with company= touch only that company")
    func mutationsPerCompany() async throws {
        let config = Self.twoCompanies(sharedIDs: true)
        try await withSimulator(config) { sim in
            try await SimClient.with(sim) { http in
                let beforeA = sim.truth().bookings.count
                let beforeB = sim.truth(company: Self.secondID).bookings.count
                sim.mutate(updates: 0, creates: 2, cancels: 0, resources: [.bookings], company: Self.secondID)
                #expect(sim.truth(company: Self.secondID).bookings.count == beforeB + 2)
                #expect(sim.truth().bookings.count == beforeA)

                let mutate = try await http.send(.post, "/_admin/mutate?updates=0&creates=1&cancels=0&resources=bookings&company=\(Self.secondID)")
                #expect(mutate.status == 200)
                #expect(sim.truth(company: Self.secondID).bookings.count == beforeB + 3)
                #expect(sim.truth().bookings.count == beforeA)
                let truth = try await http.send(.get, "/_admin/truth?resource=bookings&company=\(Self.secondID)").json()
                #expect(truth["count"] as? Int == beforeB + 3)
                #expect(try await http.send(.get, "/_admin/truth?company=nope").status == 404)

                let id = try #require(sim.ids(.bookings).first)
                #expect(sim.cancel(.bookings, id: id, company: Self.secondID))
                #expect(sim.truth().bookings[id]?.raw != sim.truth(company: Self.secondID).bookings[id]?.raw)
            }
        }
    }

    @Test("/_admin/consent picks the company the next authorization is for; unknown companies are 404")
    func adminConsent() async throws {
        let config = Self.twoCompanies(sharedIDs: false)
        try await withSimulator(config) { sim in
            try await SimClient.with(sim) { http in
                let set = try await http.send(.post, "/_admin/consent?decision=approve&company=\(Self.secondID)")
                #expect(set.status == 200)
                #expect(sim.consent == .approve(companyID: Self.secondID))
                let access = try await http.appTokens().access
                #expect((try await http.get("/v1/me", token: access).json())["company_id"] as? String == Self.secondID)
                let unknown = try await http.send(.post, "/_admin/consent?decision=approve&company=nope")
                #expect(unknown.status == 404)
                #expect(sim.consent == .approve(companyID: Self.secondID))
                let deny = try await http.send(.post, "/_admin/consent?decision=deny")
                #expect(deny.status == 200)
                #expect(sim.consent == .deny)
            }
        }
    }

    @Test("mutate-every-N mutates the data of the company whose token made the request")
    func mutateEveryFollowsToken() async throws {
        var config = Self.twoCompanies(sharedIDs: false)
        config.faults.mutateEveryNRequests = 1
        config.faults.mutationBatch = MutationBatch(updates: 0, creates: 1, cancels: 0, resources: [.bookings])
        try await withSimulator(config) { sim in
            try await SimClient.with(sim) { http in
                let beforeA = sim.truth().bookings.count
                let beforeB = sim.truth(company: Self.secondID).bookings.count
                let second = try await http.token(id: "second-key", secret: "second-~secret")
                #expect(try await http.get("/v1/me", token: second).status == 200)
                #expect(sim.truth(company: Self.secondID).bookings.count == beforeB + 1)
                #expect(sim.truth().bookings.count == beforeA)
            }
        }
    }
}
