import AsyncHTTPClient
import Foundation
import NIOCore
import PostgresClient
import SyncEngine
import SyncTestSupport
import Testing
import UnderstoryAPI
import UnderstorySimulator

/// `serve` as a process: started without the API, stopped by SIGTERM; `accounts disconnect` and
/// `webhooks subscribe` against a running `serve`; the password of any DATABASE_URL never printed.
@Suite("serve lifecycle and secrets (the binary)")
struct ServeLifecycleTests {
    static func post(port: Int, path: String, body: [UInt8], secret: String, id: String) async throws -> Int {
        let signer = try WebhookSignature(secrets: [Secret(secret)])
        let timestamp = Int64(Date().timeIntervalSince1970)
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = .POST
        request.headers.add(name: "webhook-id", value: id)
        request.headers.add(name: "webhook-timestamp", value: String(timestamp))
        request.headers.add(name: "webhook-signature", value: signer.sign(id: id, timestamp: timestamp, body: body))
        request.body = .bytes(ByteBuffer(bytes: body))
        return try await withHTTPClient { http in
            let response = try await http.execute(request, timeout: .seconds(120))
            _ = try await response.body.collect(upTo: 1 << 20)
            return Int(response.status.code)
        }
    }

    static func message(bookingID: String) -> [UInt8] {
        Array(#"{"id":"\#(UUID().uuidString.lowercased())","type":"v1.booking.updated","timestamp":"2026-11-30T05:00:00Z","payload":{"booking_id":"\#(bookingID)"}}"#.utf8)
    }

    @Test("serve starts while the API refuses connections: /healthz 200, a signed delivery 204 and stored; SIGTERM exits 0")
    func startsWithoutAPI() async throws {
        try await CommandLineWorld.with { world in
            let companyID = world.simulator.configuration.companyID
            // The database has synced this company before (what names it while /v1/me cannot answer).
            try await world.query("INSERT INTO understory.sync_state (company_id, resource) VALUES ('\(companyID)', 'bookings')")
            let secret = "whsec_" + Data(repeating: 3, count: 24).base64EncodedString()
            let closed = "http://127.0.0.1:1"
            let serve = try await ServeProcess.start(
                world, environment: ["UNDERSTORY_API_URL": closed, "UNDERSTORY_AUTH_URL": closed, "UNDERSTORY_WEBHOOK_SECRET": secret]
            )
            let health = try await ServeTests().httpGet("http://127.0.0.1:\(serve.port)/healthz")
            #expect(health.status == 200)
            let status = try await Self.post(
                port: serve.port, path: "/webhooks/understory", body: Self.message(bookingID: "bk_1"), secret: secret, id: "msg_no_api"
            )
            #expect(status == 204, "\(serve.stderr.suffix(2000))")
            #expect(try await world.query("SELECT count(*) AS n FROM understory.webhook_inbox WHERE company_id = '\(companyID)'").rows[0]["n"].decode(Int.self) == 1)
            #expect(await serve.stop() == 0, "\(serve.stderr.suffix(1000))")
        }
    }

    @Test("credentials the issuer refuses are a configuration error: serve says so and exits, without the secret")
    func refusedCredentialsExit() async throws {
        try await CommandLineWorld.with { world in
            let run = try await world.run("serve", "--port", "0", environment: ["UNDERSTORY_CLIENT_SECRET": "wrong-Secret-~42"])
            #expect(run.status != 0 && run.status != 143, "\(run.output)")
            #expect(run.stdout.contains("listening on"), "it listened first: \(run.output)")
            #expect(!run.output.contains("wrong-Secret-~42"))
        }
    }

    @Test("webhooks subscribe registers a per-subscription path; accounts disconnect deletes the account's subscriptions in the API and here, and serve turns its deliveries away after one reload")
    func disconnectDeletesSubscriptions() async throws {
        var configuration = SimulatorConfiguration(seed: 43, bookings: 6, orders: 2, events: 2, experiences: 2)
        configuration.additionalCompanies = SimulatorCompany.numbered(1)
        let webhookScopes: Set<String> = ["webhook.read", "webhook.write"]
        configuration.apps[0].scopes.formUnion(webhookScopes)
        try await CommandLineWorld.with(configuration) { world in
            let ids = try await WorkerCommandTests.connectAll(world, scopes: SimulatorClient.allReadScopes.union(webhookScopes))
            #expect(ids.count == 2)
            let env = AccountsCommandTests.appEnvironment(world)
            let serve = try await ServeProcess.start(world, extra: ["--all-accounts"], environment: env)
            let base = "http://127.0.0.1:\(serve.port)/webhooks/understory"
            let subscribe = try await world.run("webhooks", "subscribe", "--url", base, "--all-accounts", environment: env)
            #expect(subscribe.status == 0, "\(subscribe.output)")
            let gone = ids[0], kept = ids[1]
            let goneSubscription = try #require(world.simulator.webhookSubscriptions(company: gone).first)
            let keptSubscription = try #require(world.simulator.webhookSubscriptions(company: kept).first)
            #expect(goneSubscription.url.hasPrefix(base + "/sub_"), "\(goneSubscription.url)")
            let rows = try await world.query("SELECT company_id, id, url, state FROM understory.webhook_subscriptions ORDER BY company_id").rows
            #expect(rows.count == 2)
            #expect(try rows.allSatisfy { try $0["state"].decode(String?.self) == "ENABLED" && !(try $0["id"].decode(String.self)).hasPrefix("pending-") })
            func path(_ url: String) -> String { String(url.dropFirst("http://127.0.0.1:\(serve.port)".count)) }
            let booking = Self.message(bookingID: "bk_1")
            // serve learns of the new endpoints at its first reload after a delivery to them (at most one a second; the sender retries).
            let accepted = try await eventually {
                try await Self.post(port: serve.port, path: path(goneSubscription.url), body: booking, secret: goneSubscription.secret, id: "a1") == 204
            }
            #expect(accepted, "\(serve.stderr.suffix(3000))")
            #expect(try await Self.post(port: serve.port, path: path(keptSubscription.url), body: booking, secret: keptSubscription.secret, id: "b0") == 204)

            let disconnect = try await world.run("accounts", "disconnect", gone, environment: env)
            #expect(disconnect.status == 0, "\(disconnect.output)")
            #expect(disconnect.stdout.contains("deleted its webhook subscriptions: \(goneSubscription.id)"), "\(disconnect.output)")
            #expect(world.simulator.webhookSubscriptions(company: gone).isEmpty, "deleted in the API")
            #expect(world.simulator.webhookSubscriptions(company: kept).count == 1)
            #expect(try await world.query("SELECT count(*) AS n FROM understory.webhook_subscriptions WHERE company_id = '\(gone)'").rows[0]["n"].decode(Int.self) == 0)

            // A post to an unknown endpoint makes serve reload (its reload interval has passed); then the gone account's path is refused.
            let refused = try await eventually {
                _ = try await Self.post(port: serve.port, path: "/webhooks/understory/sub_nothing", body: booking, secret: goneSubscription.secret, id: "probe")
                return try await Self.post(port: serve.port, path: path(goneSubscription.url), body: booking, secret: goneSubscription.secret, id: "a2") == 401
            }
            #expect(refused, "\(serve.stderr.suffix(3000))")
            #expect(try await Self.post(port: serve.port, path: path(keptSubscription.url), body: booking, secret: keptSubscription.secret, id: "b1") == 204)
            #expect(await serve.stop() == 0, "\(serve.stderr.suffix(1000))")
        }
    }

    @Test("no DATABASE_URL shape prints its password: leading or trailing blanks, a misspelled scheme, a scheme-less user:password@, quoted conninfo", arguments: [
        " postgresql://u:Pw-s3cr3t@127.0.0.1:1/db",
        "\tpostgresql://u:Pw-s3cr3t@127.0.0.1:1/db",
        "postgresql://u:Pw-s3cr3t@127.0.0.1:1/db  ",
        "postgresq://u:Pw-s3cr3t@127.0.0.1:1/db",
        "u:Pw-s3cr3t@127.0.0.1:1/db",
        "host=127.0.0.1 port=1 password = 'Pw-s3cr3t' dbname='unterminated",
        "host=127.0.0.1 port=1 password=\"Pw-s3cr3t\" dbname=x connect_timeout=1",
    ])
    func databaseURLNeverPrinted(_ url: String) async throws {
        let run = try await UnderstorySyncBinary.run(["status"], environment: ["DATABASE_URL": url, "PGCONNECT_TIMEOUT": "2"])
        #expect(run.status != 0)
        #expect(!run.output.contains("s3cr3t"), "\(run.output)")
    }
}
