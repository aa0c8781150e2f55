import Foundation
import Testing
import Yams

/// No Docker engine runs here, so the deployment files are checked for structure instead.
@Suite("deployment files")
struct DeploymentFilesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func text(_ name: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(name), encoding: .utf8)
    }

    @Test("docker-compose.yml: postgres with a healthcheck and volume, the simulator, and the sync waiting for both")
    func compose() throws {
        let document = try #require(try Yams.load(yaml: Self.text("docker-compose.yml")) as? [String: Any])
        let services = try #require(document["services"] as? [String: Any])
        #expect(Set(services.keys) == ["postgres", "understory-sim", "understory-sync"])

        let postgres = try #require(services["postgres"] as? [String: Any])
        #expect((postgres["image"] as? String)?.hasPrefix("postgres:") == true)
        #expect(postgres["healthcheck"] is [String: Any])
        #expect((postgres["volumes"] as? [String])?.contains { $0.hasPrefix("pgdata:") } == true)
        #expect((document["volumes"] as? [String: Any])?.keys.contains("pgdata") == true)

        let sim = try #require(services["understory-sim"] as? [String: Any])
        #expect(sim["healthcheck"] is [String: Any])

        let sync = try #require(services["understory-sync"] as? [String: Any])
        let dependsOn = try #require(sync["depends_on"] as? [String: Any])
        for service in ["postgres", "understory-sim"] {
            #expect((dependsOn[service] as? [String: Any])?["condition"] as? String == "service_healthy", "\(service)")
        }
        let entrypoint = (sync["entrypoint"] as? [String])?.joined(separator: " ") ?? ""
        #expect(entrypoint.contains("migrate"))
        #expect(entrypoint.contains("schedule --cron"))
        #expect(sync["env_file"] as? String == ".env")
        let environment = try #require(sync["environment"] as? [String: Any])
        #expect(environment.keys.contains("DATABASE_URL"))
    }

    @Test(".env.example names exactly the variables of the contract and holds no real secret")
    func envExample() throws {
        let names = try Self.text(".env.example").split(separator: "\n")
            .filter { !$0.hasPrefix("#") && $0.contains("=") }
            .map { String($0.split(separator: "=", maxSplits: 1)[0]) }
        let contract: Set<String> = [
            "UNDERSTORY_CLIENT_ID", "UNDERSTORY_CLIENT_SECRET", "UNDERSTORY_API_URL", "UNDERSTORY_AUTH_URL",
            "UNDERSTORY_AUDIENCE", "UNDERSTORY_SCOPES", "UNDERSTORY_RATE_LIMIT_WAIT", "UNDERSTORY_TOKEN_KEY", "UNDERSTORY_REDIRECT_URI",
        ]
        let understory = Set(names.filter { $0.hasPrefix("UNDERSTORY_") })
        #expect(understory.isSubset(of: contract), "unknown variables: \(understory.subtracting(contract))")
        #expect(understory.contains("UNDERSTORY_CLIENT_ID") && understory.contains("UNDERSTORY_CLIENT_SECRET"))
        #expect(try Self.text(".gitignore").split(separator: "\n").contains(".env"))
    }

    @Test("Dockerfile: multi-stage on the official Swift image, runtime with libpq5 and the migrations")
    func dockerfile() throws {
        let text = try Self.text("Dockerfile")
        let stages = text.split(separator: "\n").filter { $0.hasPrefix("FROM ") }
        #expect(stages.count == 2)
        #expect(stages.first?.contains("swift:") == true)
        #expect(text.contains("libpq5"))
        #expect(text.contains("understory-sync_SyncEngine.resources"))
    }
}
