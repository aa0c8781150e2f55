import Foundation
import Logging
import PostgresClient
import SyncServer
import SyncTestSupport
import Testing
import UnderstoryAPI

@Suite("who may read /metrics")
struct StatusAccessTests {
    @Test("loopback listeners and --public-status are open; any other address needs a token")
    func rules() throws {
        for host in ["127.0.0.1", "127.1.2.3", "localhost", "::1"] {
            #expect(try StatusAccess.forListener(host: host, token: nil, publicStatus: false).rule == .open, "\(host)")
        }
        for host in ["0.0.0.0", "10.0.0.5", "::", "127.0.0.1.example.com", "sync.example.com"] {
            #expect(throws: StatusAccess.Refusal.self, "\(host)") { try StatusAccess.forListener(host: host, token: nil, publicStatus: false) }
            #expect(throws: StatusAccess.Refusal.self, "\(host)") { try StatusAccess.forListener(host: host, token: Secret(""), publicStatus: false) }
            #expect(try StatusAccess.forListener(host: host, token: nil, publicStatus: true).rule == .open, "\(host)")
            #expect(try StatusAccess.forListener(host: host, token: Secret("t"), publicStatus: false).rule == .bearer(Secret("t")), "\(host)")
        }
        let refusal = #expect(throws: StatusAccess.Refusal.self) { try StatusAccess.forListener(host: "0.0.0.0", token: nil, publicStatus: false) }
        #expect(refusal?.description.contains("UNDERSTORY_STATUS_TOKEN") == true && refusal?.description.contains("--public-status") == true)
    }

    @Test("a server bound beyond loopback without a rule does not start")
    func refusesToStartOpen() async throws {
        var configuration = WebhookServer.Configuration()
        configuration.host = "0.0.0.0"
        configuration.port = 0
        let database = PostgresConfiguration(connectionString: "postgresql://127.0.0.1:1/none")
        let server = WebhookServer(
            configuration: configuration, database: database, accounts: { [] }, worker: nil, logger: quietLogger
        )
        await #expect(throws: StatusAccess.Refusal.self) { try await server.run(handleSignals: false) }
    }

    @Test("beyond loopback /metrics answers 401 without the bearer token (or with a wrong one) and 200 with it; /healthz stays open")
    func bearerToken() async throws {
        let token = "status-" + UUID().uuidString
        let access = try StatusAccess.forListener(host: "0.0.0.0", token: Secret(token), publicStatus: false)
        try await ServerHarness.with(holdProcessing: true, host: "0.0.0.0", statusAccess: access) { harness in
            let anonymous = try await harness.get("/metrics")
            #expect(anonymous.status == 401)
            #expect(!anonymous.body.contains("understory_"))
            #expect(!anonymous.body.contains(token))
            #expect(try await harness.get("/metrics", headers: [("Authorization", "Bearer wrong")]).status == 401)
            #expect(try await harness.get("/metrics", headers: [("Authorization", "Bearer \(token)x")]).status == 401)
            #expect(try await harness.get("/metrics", headers: [("Authorization", "Basic \(token)")]).status == 401)
            let allowed = try await harness.get("/metrics", headers: [("Authorization", "Bearer \(token)")])
            #expect(allowed.status == 200)
            #expect(allowed.body.contains("understory_webhook_inbox_pending"))
            #expect(try await harness.get("/").status == 401, "the status page is guarded like /metrics")
            #expect(try await harness.get("/", headers: [("Authorization", "Bearer \(token)")]).status == 200)
            #expect(try await harness.get("/healthz").status == 200)
        }
    }
}
