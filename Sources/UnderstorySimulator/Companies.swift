import Synchronization

/// A further Understory company (account) the simulator serves besides the primary one
/// (`SimulatorConfiguration.companyID`/`companyName`). Each company has its own generated data.
public struct SimulatorCompany: Sendable, Hashable {
    public var id: String
    public var name: String
    /// Seed for this company's generated content (same sizes as the configuration).
    public var seed: UInt64
    /// Seed for record ids; nil = `seed`. Equal to another company's seed: the same record ids with
    /// different content, so a test can prove two accounts never mix.
    public var idSeed: UInt64?
    /// `user_id` and `email` `/v1/me` reports for this company.
    public var userID: String
    public var email: String

    public init(id: String, name: String, seed: UInt64, idSeed: UInt64? = nil, userID: String? = nil, email: String? = nil) {
        self.id = id
        self.name = name
        self.seed = seed
        self.idSeed = idSeed
        self.userID = userID ?? "usr_\(id)"
        self.email = email ?? "ops+\(id)@example.invalid"
    }
}

/// One company's data behind its own lock. Index 0 is the primary company.
final class CompanyData: Sendable {
    let index: Int
    let company: SimulatorCompany
    let store: Mutex<Store>

    init(index: Int, company: SimulatorCompany, store: Store) {
        self.index = index
        self.company = company
        self.store = Mutex(store)
    }

    /// Generates every company's store (companies in parallel, each one parallel inside).
    static func generate(_ configuration: SimulatorConfiguration) -> [CompanyData] {
        let primary = SimulatorCompany(
            id: configuration.companyID, name: configuration.companyName, seed: configuration.seed, idSeed: configuration.seed,
            userID: configuration.userID, email: configuration.email
        )
        let companies = [primary] + configuration.additionalCompanies
        var seen = Set<String>()
        for company in companies {
            precondition(seen.insert(company.id).inserted, "company ids must be unique; \(company.id) appears twice")
        }
        let stores = parallelMap(count: companies.count) { i in
            let company = companies[i]
            var config = configuration
            config.seed = company.seed
            config.companyID = company.id
            config.companyName = company.name
            config.userID = company.userID
            config.email = company.email
            return Store(configuration: config, idSeed: company.idSeed ?? company.seed)
        }
        return companies.indices.map { CompanyData(index: $0, company: companies[$0], store: stores[$0]) }
    }
}

extension Simulator {
    /// The company with `id` (nil = primary), or nil when no such company is configured.
    func companyData(_ id: String?) -> CompanyData? {
        guard let id else { return self.companies[0] }
        return self.companies.first { $0.company.id == id }
    }

    /// The company with `id` (nil = primary); traps for an unknown id (a test's mistake).
    func requireCompany(_ id: String?, function: StaticString = #function) -> CompanyData {
        guard let data = self.companyData(id) else {
            preconditionFailure("\(function): no company \(id ?? "") is configured")
        }
        return data
    }

    /// Every company served: the primary first, then `configuration.additionalCompanies`.
    public var companyIDs: [String] { self.companies.map(\.company.id) }
}
