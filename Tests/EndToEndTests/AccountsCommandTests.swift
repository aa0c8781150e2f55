import AsyncHTTPClient
import Foundation
import PostgresClient
import SyncEngine
import SyncTestSupport
import Testing
import UnderstorySimulator

@Suite("Third-party mode as a developer runs it: accounts connect, list, sync, status")
struct AccountsCommandTests {
    static let tokenKey = Data((0..<32).map { UInt8($0 &* 7 &+ 1) }).base64EncodedString()
    static let secondCompany = "c0mp4ny-5eed-4b1d-9e11-0000000000b2"

    static func configuration() -> SimulatorConfiguration {
        var configuration = CommandLineWorld.account()
        configuration.additionalCompanies = [SimulatorCompany(id: secondCompany, name: "Second Tours AS", seed: 4, idSeed: configuration.seed)]
        return configuration
    }

    /// The app's credentials and the token key.
    static func appEnvironment(_ world: CommandLineWorld) -> [String: String] {
        let app = world.simulator.configuration.apps[0]
        return ["UNDERSTORY_CLIENT_ID": app.id, "UNDERSTORY_CLIENT_SECRET": app.secret, "UNDERSTORY_TOKEN_KEY": tokenKey]
    }

    /// `accounts connect` as a subprocess; the test plays the browser with the URL it prints.
    static func connect(_ world: CommandLineWorld, company: String?) async throws -> CommandLineRun {
        world.simulator.setConsent(.approve(companyID: company))
        let process = try UnderstorySyncBinary.start(
            ["accounts", "connect", "--timeout", "300"], environment: world.environment.merging(appEnvironment(world)) { $1 }
        )
        _ = try await eventually { process.stdout.contains("Waiting up to") || !process.isRunning }
        let printed = process.stdout
        let url = printed.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.first { $0.hasPrefix("http") }
        if let url {
            var configuration = HTTPClient.Configuration()
            configuration.redirectConfiguration = .disallow
            do {
                try await HTTPClient.withHTTPClient(configuration: configuration) { http in
                    let authorize = try await http.execute(HTTPClientRequest(url: url), timeout: .seconds(120))
                    if let location = authorize.headers.first(name: "Location") {
                        _ = try await http.execute(HTTPClientRequest(url: location), timeout: .seconds(120))
                    }
                }
            } catch {
                Issue.record("the browser failed: \(error)")
            }
        } else {
            Issue.record("no authorize URL printed: \(printed)")
            process.signal(SIGTERM)
        }
        return await UnderstorySyncBinary.finish(process)
    }

    @Test("connect two companies, sync them all, list and status show both — never a token")
    func connectTwoAndSync() async throws {
        try await CommandLineWorld.with(Self.configuration()) { world in
            let env = Self.appEnvironment(world)
            let first = try await Self.connect(world, company: nil)
            #expect(first.status == 0, "\(first.output)")
            #expect(first.stdout.contains("connected company \(world.simulator.configuration.companyID)"))
            let second = try await Self.connect(world, company: Self.secondCompany)
            #expect(second.status == 0, "\(second.output)")

            let list = try await world.run("accounts", "list", environment: env)
            #expect(list.status == 0, "\(list.output)")
            #expect(list.stdout.contains(world.simulator.configuration.companyID))
            #expect(list.stdout.contains(Self.secondCompany))
            #expect(list.stdout.contains("active"))
            print("accounts list:\n\(list.stdout)")

            let sync = try await world.run("sync", "--all-accounts", "--events-past-days", "3650", "--verbose", environment: env)
            #expect(sync.status == 0, "\(sync.output)")
            #expect(sync.stdout.contains("accounts: 2 of 2 synced"))
            for company in [world.simulator.configuration.companyID, Self.secondCompany] {
                let diff = try await TruthCheck.differences(
                    simulator: world.simulator, database: world.database, resource: .bookings, table: "bookings", company: company
                )
                #expect(diff.isEmpty, "\(company): \(diff)")
            }

            let status = try await world.run("status", environment: env)
            #expect(status.status == 0)
            #expect(status.stdout.contains("accounts:"))
            #expect(status.stdout.contains(Self.secondCompany))
            print("status:\n\(status.stdout)")

            // No refresh token anywhere a user or analyst can see, even in debug logs.
            let key = try TokenKey(text: Self.tokenKey)
            let rows = try await world.query("SELECT company_id, refresh_token_sealed, token_key_id, a::text AS dump FROM understory.accounts a").rows
            #expect(rows.count == 2)
            for row in rows {
                let company = try row["company_id"].decode(String.self)
                let token = try key.open(row["refresh_token_sealed"].bytes ?? [], companyID: company, keyID: row["token_key_id"].string)
                #expect(token.revealed.count > 8)
                for text in [list.output, sync.output, status.output, first.output, second.output, row["dump"].string ?? ""] {
                    #expect(!text.contains(token.revealed), "a refresh token leaked")
                }
            }

            // Revoked consent: that account is marked, the other syncs, the exit status says so.
            world.simulator.revokeConsent(company: Self.secondCompany)
            let partial = try await world.run("sync", "--all-accounts", environment: env)
            #expect(partial.status == 77, "\(partial.output)")
            #expect(partial.stdout.contains("accounts: 1 of 2 synced"))
            #expect(partial.stderr.contains("accounts connect"))
            let after = try await world.run("accounts", "list", environment: env)
            #expect(after.stdout.contains("needs_reconnect"))
            let check = try await world.run("check", "--all-accounts", environment: env)
            #expect(check.status == 77, "\(check.output)")
            #expect(check.stdout.contains("FAIL account \(Self.secondCompany)"))

            // A wrong key is named as such.
            let otherKey = Data(repeating: 9, count: 32).base64EncodedString()
            let wrong = try await world.run("sync", "--account", world.simulator.configuration.companyID, environment: env.merging(["UNDERSTORY_TOKEN_KEY": otherKey]) { $1 })
            #expect(wrong.status == 78, "\(wrong.output)")
            #expect(wrong.stderr.contains("UNDERSTORY_TOKEN_KEY"))
        }
    }

    @Test(
        "a wrong token key (78) and an account needing reconnection (77): exit 78 and both named, whichever account id sorts first",
        arguments: [false, true]
    )
    func mixedFailures(revokeFirst: Bool) async throws {
        try await CommandLineWorld.with(Self.configuration()) { world in
            let env = Self.appEnvironment(world)
            for company in [nil, Self.secondCompany] {
                let connected = try await Self.connect(world, company: company)
                #expect(connected.status == 0, "\(connected.output)")
            }
            let companies = [world.simulator.configuration.companyID, Self.secondCompany].sorted()
            let (revoked, other) = revokeFirst ? (companies[0], companies[1]) : (companies[1], companies[0])
            world.simulator.revokeConsent(company: revoked)
            let marked = try await world.run("sync", "--account", revoked, environment: env)
            #expect(marked.status == 77, "\(marked.output)")

            let wrongKey = env.merging(["UNDERSTORY_TOKEN_KEY": Data(repeating: 9, count: 32).base64EncodedString()]) { $1 }
            for command in [["sync", "--all-accounts"], ["reconcile", "--all-accounts"]] {
                let run = try await UnderstorySyncBinary.run(command, environment: world.environment.merging(wrongKey) { $1 })
                #expect(run.status == 78, "\(command): \(run.output)")
                let closing = run.stdout.components(separatedBy: "failures, most fundamental first").last ?? ""
                let configuration = closing.range(of: "78 configuration: 1 account (\(other))")
                let reconnect = closing.range(of: "77 authentication or reconnect needed: 1 account (\(revoked))")
                #expect(configuration != nil && reconnect != nil, "\(command): \(run.stdout)")
                if let configuration, let reconnect { #expect(configuration.lowerBound < reconnect.lowerBound) }
                let last = run.stderr.split(separator: "\n").last.map(String.init) ?? ""
                #expect(last.hasPrefix("understory-sync: 78 configuration: 1 account (\(other): "), "\(last)")
                #expect(last.contains("; 77 authentication or reconnect needed: 1 account (\(revoked): "), "\(last)")
                #expect(last.contains("UNDERSTORY_TOKEN_KEY"))
            }
        }
    }

    @Test("a run killed after its refresh token rotated loses nothing: the next run refreshes with the stored token")
    func killAfterRotation() async throws {
        try await CommandLineWorld.with(Self.configuration()) { world in
            let env = world.environment.merging(Self.appEnvironment(world)) { $1 }
            let connected = try await Self.connect(world, company: nil)
            #expect(connected.status == 0, "\(connected.output)")
            let company = world.simulator.configuration.companyID

            // API calls are held, so the run sits between its refresh and its first use until killed.
            world.simulator.holdAPIRequests()
            let process = try UnderstorySyncBinary.start(["sync", "--account", company], environment: env)
            let rotated = try await eventually {
                let generation = try? await world.query("SELECT token_generation FROM understory.accounts").rows[0]["token_generation"].int
                return generation == 1 && world.simulator.heldAPIRequests > 0
            }
            #expect(rotated, "the run should have rotated and stored the refresh token, then called the API")
            process.signal(SIGKILL)
            _ = await UnderstorySyncBinary.finish(process)
            #expect(world.simulator.oauthStatistics.refreshes == 1)

            world.simulator.releaseAPIRequests()
            let next = try await world.run("sync", "--account", company, "--events-past-days", "3650", environment: env)
            #expect(next.status == 0, "\(next.output)")
            #expect(world.simulator.oauthStatistics.refreshReuseRejected == 0, "no rotated-away token was ever presented")
            #expect(world.simulator.oauthStatistics.refreshes == 2)
            let diff = try await TruthCheck.differences(simulator: world.simulator, database: world.database, resource: .orders, table: "orders")
            #expect(diff.isEmpty, "\(diff)")
        }
    }

    @Test("schedule --all-accounts runs every connected account at each fire time and stops cleanly on SIGTERM")
    func scheduleAllAccounts() async throws {
        try await CommandLineWorld.with(Self.configuration()) { world in
            let env = world.environment.merging(Self.appEnvironment(world)) { $1 }
            #expect(try await Self.connect(world, company: nil).status == 0)
            #expect(try await Self.connect(world, company: Self.secondCompany).status == 0)
            let process = try UnderstorySyncBinary.start(
                ["schedule", "--cron", "@yearly", "--run-now", "--all-accounts", "--events-past-days", "3650"], environment: env
            )
            _ = try await eventually { process.stdout.contains("accounts: ") || !process.isRunning }
            let printed = process.stdout
            process.signal(SIGTERM)
            let run = await UnderstorySyncBinary.finish(process)
            #expect(run.status == 0, "\(printed)\(run.output)")
            #expect(printed.contains("accounts: 2 of 2 synced"), "\(printed)\(run.output)")
            let companies = try await world.query(
                "SELECT count(DISTINCT company_id) AS n FROM understory.sync_runs WHERE status = 'succeeded'"
            ).rows[0]["n"].int
            #expect(companies == 2)
        }
    }

}
