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
    let store: CompanyStore

    init(index: Int, company: SimulatorCompany, store: CompanyStore) {
        self.index = index
        self.company = company
        self.store = store
    }

    /// The primary company's store is generated at once; further companies' stores are generated
    /// on first use, so a simulator can serve thousands of companies and pay only for those asked.
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
        return companies.indices.map { i in
            let company = companies[i]
            var config = configuration
            config.seed = company.seed
            config.companyID = company.id
            config.companyName = company.name
            config.userID = company.userID
            config.email = company.email
            let settings = config
            let store = CompanyStore { Store(configuration: settings, idSeed: company.idSeed ?? company.seed) }
            if i == 0 { store.generateNow() }
            return CompanyData(index: i, company: company, store: store)
        }
    }
}

/// A company's ``Store``, generated the first time it is used, behind its own lock.
final class CompanyStore: Sendable {
    private let make: @Sendable () -> Store
    private let state = Mutex<Store?>(nil)
    /// Applied to the store once it exists (at once if it does already), e.g. to attach webhooks,
    /// so setting up a company never generates its data.
    private let setUp = Mutex<(@Sendable (inout Store) -> Void)?>(nil)

    init(_ make: @escaping @Sendable () -> Store) {
        self.make = make
    }

    func generateNow() {
        withLock { _ in }
    }

    /// Runs `body` on the store when it is generated (now, if it exists).
    func whenGenerated(_ body: @escaping @Sendable (inout Store) -> Void) {
        let applyNow = state.withLock { stored -> Bool in
            guard stored != nil else {
                setUp.withLock { $0 = body }
                return false
            }
            return true
        }
        if applyNow { withLock { body(&$0) } }
    }

    /// Whether the store exists yet.
    var isGenerated: Bool { state.withLock { $0 != nil } }

    /// Runs `body` on the store (generating it first if needed) under the company's lock.
    func withLock<Result: Sendable>(_ body: (inout Store) -> Result) -> Result {
        state.withLock { stored in
            var store: Store
            if let existing = stored {
                store = existing
            } else {
                store = make()
                setUp.withLock { $0 }?(&store)
            }
            stored = nil
            let result = body(&store)
            stored = store
            return result
        }
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

    /// How many companies' data has been generated so far (the primary at start, the others on first use).
    public var generatedCompanies: Int { self.companies.filter { $0.store.isGenerated }.count }

    /// Every company served: the primary first, then `configuration.additionalCompanies`.
    public var companyIDs: [String] { self.companies.map(\.company.id) }
}

extension SimulatorCompany {
    /// `count` further companies with ids `c0mp4ny-f1ee-4000-8000-000000000001` …, names "Fleet Company 1" …,
    /// and seeds from `seed` on; for a simulator serving many accounts (their data is generated on first use).
    public static func numbered(_ count: Int, seed: UInt64 = 1000) -> [SimulatorCompany] {
        (1...max(count, 1)).prefix(count).map { n in
            let digits = String(n)
            let id = "c0mp4ny-f1ee-4000-8000-" + String(repeating: "0", count: max(0, 12 - digits.count)) + digits
            return SimulatorCompany(id: id, name: "Fleet Company \(n)", seed: seed + UInt64(n))
        }
    }
}
