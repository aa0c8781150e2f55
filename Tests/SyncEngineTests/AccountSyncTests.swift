import Foundation
import PostgresClient
import SyncEngine
import SyncTestSupport
import Testing
import UnderstoryAPI
import UnderstorySimulator

@Suite("Third-party mode: connect over loopback, many accounts in one database")
struct AccountSyncTests {
    @Test("connect: authorize, redirect to the loopback listener, PKCE code exchange, /v1/me; then the account syncs")
    func connectAndSync() async throws {
        try await AccountHarness.with { world in
            let account = try await world.connect()
            #expect(account.companyID == world.simulator.configuration.companyID)
            #expect(account.status == .active)
            #expect(account.scopes.contains("offline"))
            #expect(world.simulator.oauthStatistics.codeExchanges == 1)

            let outcomes = try await world.accountSync.sync(.accounts([account.companyID]), concurrency: 1, options: SyncHarness.options())
            #expect(outcomes.count == 1)
            #expect(outcomes[0].succeeded, "\(String(describing: outcomes[0].failure))")
            #expect(try await world.differences(company: account.companyID).isEmpty)
            #expect(world.simulator.oauthStatistics.refreshes == 1, "one refresh per run, rotated and stored")
            #expect(try await world.accounts()[0].tokenGeneration == 1)
        }
    }

    @Test("a redirect whose state was changed is refused and nothing is stored")
    func stateMismatch() async throws {
        try await AccountHarness.with { world in
            let error = await #expect(throws: UnderstoryAPIError.self) {
                _ = try await world.connect { location in location.replacingOccurrences(of: "state=", with: "state=forged") }
            }
            #expect(error?.code == .authorizationFailed)
            let accounts = try await world.accounts()
            #expect(accounts.isEmpty)
            #expect(world.simulator.oauthStatistics.codeExchanges == 0, "the code is never exchanged")
        }
    }

    @Test("denied consent is a clear error and nothing is stored")
    func denied() async throws {
        try await AccountHarness.with { world in
            world.simulator.setConsent(.deny)
            let client = UnderstoryClient(configuration: world.api, httpClient: world.http, logger: world.logger)
            let http = world.http
            let browser = BrowserTask()
            let error = await #expect(throws: UnderstoryAPIError.self) {
                _ = try await AccountConnector(database: world.database, client: client, key: world.key, logger: world.logger).connect(
                    redirect: .init(), timeout: AccountHarness.bound
                ) { url, _ in browser.start { try await AccountHarness.follow(url, http: http, tamper: nil) } }
            }
            try await browser.finish()
            #expect(error?.code == .authorizationFailed)
            #expect(error?.apiCode == "access_denied")
            let accounts = try await world.accounts()
            #expect(accounts.isEmpty)
        }
    }

    @Test("two accounts whose record ids coincide never mix; each equals its own company's data")
    func twoAccountsNeverMix() async throws {
        try await AccountHarness.with { world in
            let first = try await world.connect()
            let second = try await world.connect(company: AccountHarness.secondCompany)
            #expect(first.companyID != second.companyID)
            #expect(try await world.accounts().map(\.companyID).sorted() == [first.companyID, second.companyID].sorted())

            let outcomes = try await world.accountSync.sync(.all, concurrency: 2, options: SyncHarness.options())
            #expect(outcomes.allSatisfy { $0.succeeded }, "\(outcomes.map { String(describing: $0.failure) })")
            #expect(try await world.differences(company: first.companyID).isEmpty)
            #expect(try await world.differences(company: second.companyID).isEmpty)
            let shared = try await world.query(
                """
                SELECT count(*) AS same_id, count(*) FILTER (WHERE a.raw IS DISTINCT FROM b.raw) AS different
                FROM understory.bookings a JOIN understory.bookings b ON a.id = b.id AND a.company_id = $1 AND b.company_id = $2
                """,
                [first.companyID, second.companyID]
            ).rows[0]
            #expect(try shared["same_id"].decode(Int.self) > 100, "the companies share booking ids")
            #expect(try shared["same_id"].decode(Int.self) == shared["different"].decode(Int.self), "…with their own content")
            let state = try await world.query("SELECT count(DISTINCT company_id) AS n FROM understory.sync_state").rows[0]["n"].int
            #expect(state == 2, "state is per account")
        }
    }

    @Test("revoked consent marks that account needs_reconnect; the other account still syncs; status and check report it")
    func revokedConsent() async throws {
        try await AccountHarness.with { world in
            let first = try await world.connect()
            let second = try await world.connect(company: AccountHarness.secondCompany)
            world.simulator.revokeConsent(company: second.companyID)
            _ = world.simulator.mutate(MutationBatch(updates: 5, creates: 2, cancels: 1))

            let outcomes = try await world.accountSync.sync(.all, concurrency: 2, options: SyncHarness.options())
            let byID = Dictionary(uniqueKeysWithValues: outcomes.map { ($0.account.companyID, $0) })
            #expect(byID[first.companyID]?.succeeded == true)
            #expect(try await world.differences(company: first.companyID).isEmpty)
            let failure = byID[second.companyID]?.failure as? UnderstoryAPIError
            #expect(failure?.code == .reconnectRequired)
            #expect(try await world.query("SELECT count(*) AS n FROM understory.bookings WHERE company_id = $1", [second.companyID]).rows[0]["n"].int == 0)

            let accounts = try await world.accounts()
            #expect(accounts.first { $0.companyID == second.companyID }?.status == .needsReconnect)
            #expect(accounts.first { $0.companyID == first.companyID }?.status == .active)
            let report = try await PostgresConnection.withConnection(world.database, logger: world.logger) { try await StatusReport.load(from: $0) }
            #expect(report.accounts.first { $0.companyID == second.companyID }?.status == .needsReconnect)

            let check = await HealthCheck.run(accounts: world.accountSync, selection: .all, setupError: nil, database: world.database, logger: world.logger)
            #expect(check.items.first { $0.name == "account \(first.companyID)" }?.ok == true)
            #expect(check.items.first { $0.name == "account \(second.companyID)" }?.ok == false)

            // Connecting again makes it active and it syncs.
            _ = try await world.connect(company: AccountHarness.secondCompany)
            let again = try await world.accountSync.sync(.accounts([second.companyID]), concurrency: 1, options: SyncHarness.options())
            #expect(again[0].succeeded, "\(String(describing: again[0].failure))")
            #expect(try await world.differences(company: second.companyID).isEmpty)
        }
    }
}
