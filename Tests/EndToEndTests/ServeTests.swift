import AsyncHTTPClient
import Foundation
import PostgresClient
import Synchronization
import SyncEngine
import SyncTestSupport
import Testing
import UnderstoryAPI
import UnderstorySimulator

/// `serve` (or another long-running command that prints the port it listens on) as a child process.
struct ServeProcess {
    let process: ChildProcess
    let port: Int

    /// What it has printed so far.
    var stdout: String { process.stdout }
    var stderr: String { process.stderr }

    static func start(
        _ world: CommandLineWorld, port: Int = 0, extra: [String] = [], environment: [String: String], arguments: [String]? = nil,
        prefix: String = "listening on "
    ) async throws -> ServeProcess {
        let process = try UnderstorySyncBinary.start(
            arguments ?? (["serve", "--port", String(port)] + extra), environment: world.environment.merging(environment) { $1 }
        )
        func boundPort() -> Int? {
            process.stdout.split(separator: "\n").first(where: { $0.hasPrefix(prefix) })?.split(separator: ":").last.flatMap { Int($0) }
        }
        _ = try await eventually { boundPort() != nil || !process.isRunning }
        if let bound = boundPort() {
            return ServeProcess(process: process, port: bound)
        }
        process.signal(SIGTERM)
        await process.exit()
        throw ServeFailure("serve did not start: \(process.stderr)")
    }

    func stop(signal: Int32 = SIGTERM) async -> Int32 {
        process.signal(signal)
        return await process.exit()
    }
}

struct ServeFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

@Suite("serve end to end (the binary)")
struct ServeTests {
    static func account() -> SimulatorConfiguration {
        var configuration = CommandLineWorld.account()
        configuration.clients = [
            SimulatorClient(
                id: "sim-client", secret: "sim-secret-~Zq7-Xk~9", scopes: SimulatorClient.allReadScopes.union(["webhook.read", "webhook.write"])
            )
        ]
        return configuration
    }

    static let tokenKey = Data(repeating: 5, count: 32).base64EncodedString()

    func differences(_ world: CommandLineWorld) async throws -> [String] {
        var all: [String] = []
        for resource in [SimulatorResource.bookings, .events, .experiences] {
            all += try await TruthCheck.differences(simulator: world.simulator, database: world.database, resource: resource, table: resource.rawValue)
        }
        return all
    }

    func count(_ world: CommandLineWorld, _ sql: String) async throws -> Int {
        try await world.query(sql).rows[0]["n"].decode(Int.self)
    }

    @Test("sync once, serve, subscribe: 500+ changes land by webhooks alone; a forgery changes nothing; kill -9 before processing loses nothing")
    func endToEnd() async throws {
        try await CommandLineWorld.with(Self.account()) { world in
            let env = ["UNDERSTORY_TOKEN_KEY": Self.tokenKey]
            let sync = try await world.run("sync", "--events-past-days", "3650")
            #expect(sync.status == 0, "\(sync.output)")
            let runs = try await count(world, "SELECT count(*) AS n FROM understory.sync_runs")

            var serve = try await ServeProcess.start(world, environment: env)
            let port = serve.port
            let url = "http://127.0.0.1:\(port)/webhooks/understory"
            let subscribe = try await world.run("webhooks", "subscribe", "--url", url, environment: env)
            #expect(subscribe.status == 0, "\(subscribe.output)")
            #expect(!subscribe.output.contains("whsec_"))
            let stored = try await count(world, "SELECT count(*) AS n FROM understory.webhook_subscriptions")
            #expect(stored == 1)

            // 40 batches × (bookings 5 + events 5 + experiences 3) = 520 changes, delivered twice and reordered.
            // The sender does not give up on a message within the test: one answered late by a starved
            // `serve` is retried, not dropped (the test is about the receiver, not the sender's patience).
            world.simulator.updateWebhookFaults {
                $0.duplicate = true
                $0.outOfOrder = true
                $0.maxAttempts = 1_000
            }
            for _ in 0..<40 { world.simulator.mutate(updates: 3, creates: 1, cancels: 1, resources: [.bookings, .events, .experiences]) }
            let converged = try await eventually { try await differences(world).isEmpty }
            let remaining = try await differences(world)
            #expect(
                converged,
                "tables differ: \(remaining.prefix(5)); sender: \(world.simulator.webhookStatistics); serve said: \(serve.stderr.suffix(2000))"
            )
            #expect(try await count(world, "SELECT count(*) AS n FROM understory.sync_runs") == runs, "a sync ran")
            let processedOnce = try await eventually {
                try await count(world, "SELECT count(*) AS n FROM understory.webhook_inbox WHERE status <> 'processed'") == 0
            }
            #expect(processedOnce)
            #expect(try await count(world, "SELECT count(*) AS n FROM understory.webhook_inbox") == world.simulator.webhookStatistics.messages)

            // A forged delivery is refused and stores nothing.
            world.simulator.updateWebhookFaults {
                $0.duplicate = false
                $0.outOfOrder = false
                $0.forgeSignature = true
                $0.maxAttempts = 1
            }
            let inboxBefore = try await count(world, "SELECT count(*) AS n FROM understory.webhook_inbox")
            let failedBefore = world.simulator.webhookStatistics.failedMessages
            let messagesBefore = world.simulator.webhookStatistics.messages
            let forgedChanges = world.simulator.mutate(updates: 2, creates: 0, cancels: 0, resources: [.bookings])
            let forged = world.simulator.webhookStatistics.messages - messagesBefore
            let refused = try await eventually { world.simulator.webhookStatistics.failedMessages - failedBefore == forged }
            #expect(refused)
            #expect(try await count(world, "SELECT count(*) AS n FROM understory.webhook_inbox") == inboxBefore)
            world.simulator.updateWebhookFaults {
                $0.forgeSignature = false
                $0.maxAttempts = 1_000
            }

            // SIGTERM: exit 0.
            #expect(await serve.stop() == 0, "\(serve.stderr.suffix(1000))")

            // Deliveries committed to the inbox, then kill -9 before processing; a restart processes them.
            serve = try await ServeProcess.start(world, port: port, extra: ["--hold-processing"], environment: env)
            let held = world.simulator.webhookStatistics.messages
            for _ in 0..<5 { world.simulator.mutate(updates: 3, creates: 1, cancels: 1, resources: [.bookings, .events, .experiences]) }
            // The bookings whose (forged) webhooks were refused change again, genuinely signed this time.
            for id in forgedChanges.updated[.bookings] ?? [] { world.simulator.touch(.bookings, id: id) }
            let fresh = world.simulator.webhookStatistics.messages - held
            let inboxed = try await eventually {
                try await count(world, "SELECT count(*) AS n FROM understory.webhook_inbox WHERE status = 'pending'") == fresh
            }
            #expect(inboxed)
            _ = await serve.stop(signal: SIGKILL)
            serve = try await ServeProcess.start(world, port: port, environment: env)
            let recovered = try await eventually { try await differences(world).isEmpty }
            let remainingAfterRestart = try await differences(world)
            #expect(recovered, "tables differ after restart: \(remainingAfterRestart.prefix(5))")
            #expect(await serve.stop() == 0)
            #expect(try await count(world, "SELECT count(*) AS n FROM understory.sync_runs") == runs)

            let status = try await world.run("status", environment: env)
            #expect(status.stdout.contains("webhook inbox: 0 pending"), "\(status.output)")
        }
    }

    @Test("serve --cron --run-now polls beside the receiver: a sync run is recorded, status shows the scheduler, SIGTERM exits 0")
    func serveWithCron() async throws {
        try await CommandLineWorld.with(Self.account()) { world in
            let serve = try await ServeProcess.start(
                world, extra: ["--cron", "0 0 1 1 *", "--run-now", "--events-past-days", "3650", "-q"], environment: [:]
            )
            let synced = try await eventually {
                try await count(world, "SELECT count(*) AS n FROM understory.sync_runs WHERE status = 'succeeded' AND arguments->>'cron' = '0 0 1 1 *'") == 1
            }
            #expect(synced, "\(serve.stderr.suffix(2000))")
            let orders = try await TruthCheck.differences(simulator: world.simulator, database: world.database, resource: .orders, table: "orders")
            #expect(orders.isEmpty, "orders (polled only) differ: \(orders.prefix(3))")
            let status = try await world.run("status")
            #expect(status.stdout.contains("scheduler: ") && status.stdout.contains("cron \"0 0 1 1 *\""), "\(status.output)")
            let health = try await httpGet("http://127.0.0.1:\(serve.port)/healthz")
            #expect(health.status == 200)
            #expect(await serve.stop() == 0, "\(serve.stderr.suffix(1000))")
            // The heartbeat is gone once serve has stopped.
            #expect(try await count(world, "SELECT count(*) AS n FROM understory.scheduler_heartbeats") == 0)
        }
    }

    @Test("serve --all-accounts: each account's deliveries are verified with its own secret and fetched with its own token")
    func serveThirdParty() async throws {
        var configuration = SimulatorConfiguration(seed: 41, bookings: 20, orders: 4, events: 6, experiences: 3)
        configuration.historyDays = 20
        configuration.futureDays = 100
        configuration.additionalCompanies = SimulatorCompany.numbered(2)
        let webhookScopes: Set<String> = ["webhook.read", "webhook.write"]
        configuration.apps[0].scopes.formUnion(webhookScopes)
        try await CommandLineWorld.with(configuration) { world in
            let ids = try await WorkerCommandTests.connectAll(world, scopes: SimulatorClient.allReadScopes.union(webhookScopes))
            let env = AccountsCommandTests.appEnvironment(world)
            let sync = try await world.run("sync", "--all-accounts", "--events-past-days", "3650", environment: env)
            #expect(sync.status == 0, "\(sync.output)")

            let serve = try await ServeProcess.start(world, extra: ["--all-accounts"], environment: env)
            let url = "http://127.0.0.1:\(serve.port)/webhooks/understory"
            let subscribe = try await world.run("webhooks", "subscribe", "--url", url, "--all-accounts", environment: env)
            #expect(subscribe.status == 0, "\(subscribe.output)")
            #expect(try await count(world, "SELECT count(DISTINCT company_id) AS n FROM understory.webhook_subscriptions") == ids.count)
            let runs = try await count(world, "SELECT count(*) AS n FROM understory.sync_runs")
            world.simulator.updateWebhookFaults { $0.maxAttempts = 1_000 }  // retried until answered, never dropped (as above)
            for id in ids {
                for _ in 0..<3 { world.simulator.mutate(updates: 3, creates: 1, cancels: 1, resources: [.bookings, .events, .experiences], company: id) }
            }
            func differences() async throws -> [String] {
                var all: [String] = []
                for id in ids {
                    for resource in [SimulatorResource.bookings, .events, .experiences] {
                        all += try await TruthCheck.differences(
                            simulator: world.simulator, database: world.database, resource: resource, table: resource.rawValue, company: id
                        ).map { "\(id): \($0)" }
                    }
                }
                return all
            }
            let converged = try await eventually { try await differences().isEmpty }
            let remaining = try await differences()
            #expect(
                converged,
                "tables differ: \(remaining.prefix(5)); sender: \(world.simulator.webhookStatistics); serve said: \(serve.stderr.suffix(2000))"
            )
            #expect(try await count(world, "SELECT count(*) AS n FROM understory.sync_runs") == runs, "a sync ran")
            #expect(try await count(world, "SELECT count(DISTINCT company_id) AS n FROM understory.webhook_inbox WHERE status = 'processed'") == ids.count)
            #expect(try await count(world, "SELECT count(*) AS n FROM understory.webhook_inbox WHERE status <> 'processed'") == 0)
            #expect(await serve.stop() == 0, "\(serve.stderr.suffix(1000))")
        }
    }

    /// (`--run-now` without `--cron` is a usage error parsed in-process: Tests/CommandParsingTests.)
    @Test("serve refuses UNDERSTORY_WEBHOOK_SECRET with --all-accounts (it names no account), without echoing it")
    func serveRefusesSecretForAllAccounts() async throws {
        try await CommandLineWorld.with(Self.account()) { world in
            let env = AccountsCommandTests.appEnvironment(world).merging(["UNDERSTORY_WEBHOOK_SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]) { $1 }
            let secret = try await world.run("serve", "--all-accounts", "--port", "0", environment: env)
            #expect(secret.status != 0 && secret.stderr.contains("names no account"), "\(secret.output)")
            #expect(!secret.output.contains("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
        }
    }

    @Test("schedule --metrics-port serves /healthz and /metrics beside the schedule, and SIGTERM exits 0")
    func scheduleMetricsPort() async throws {
        try await CommandLineWorld.with { world in
            let schedule = try await ServeProcess.start(
                world, environment: [:], arguments: ["schedule", "--cron", "0 0 1 1 *", "--metrics-port", "0"], prefix: "metrics listening on "
            )
            let health = try await httpGet("http://127.0.0.1:\(schedule.port)/healthz")
            #expect(health.status == 200)
            let metrics = try await httpGet("http://127.0.0.1:\(schedule.port)/metrics")
            #expect(metrics.status == 200)
            #expect(metrics.body.contains("understory_webhook_inbox_pending"), "\(metrics.body)")
            let webhook = try await httpGet("http://127.0.0.1:\(schedule.port)/webhooks/understory")
            #expect(webhook.status == 404)
            #expect(await schedule.stop() == 0, "\(schedule.stderr.suffix(1000))")
        }
    }

    func httpGet(_ url: String) async throws -> (status: Int, body: String) {
        try await withHTTPClient { http in
            let response = try await http.execute(HTTPClientRequest(url: url), timeout: .seconds(120))
            return (Int(response.status.code), String(buffer: try await response.body.collect(upTo: 1 << 20)))
        }
    }
}
