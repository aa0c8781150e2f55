import AsyncHTTPClient
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
        // Credentials by environment, never as arguments (those show in `ps` and `docker inspect` args).
        let simArguments = ((sim["command"] as? [String]) ?? []) + ((sim["entrypoint"] as? [String]) ?? [])
        #expect(!simArguments.contains { $0.contains("UNDERSTORY_CLIENT") || $0.contains("secret") }, "\(simArguments)")
        #expect(!simArguments.contains("--client-id") && !simArguments.contains("--client-secret"))
        let simEnvironment = try #require(sim["environment"] as? [String: Any])
        #expect(simEnvironment["UNDERSTORY_CLIENT_ID"] as? String == "${UNDERSTORY_CLIENT_ID}")
        #expect(simEnvironment["UNDERSTORY_CLIENT_SECRET"] as? String == "${UNDERSTORY_CLIENT_SECRET}")

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
        #expect(!entrypoint.contains("--database-url") && !entrypoint.contains("--client-secret"), "secrets go by environment")
    }

    @Test("understory-sim takes its client credentials from the environment and does not echo an environment secret")
    func simulatorCredentialsFromEnvironment() async throws {
        let binary = UnderstorySyncBinary.url.deletingLastPathComponent().appendingPathComponent("understory-sim")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            Issue.record("understory-sim is not built next to the tests (\(binary.path))")
            return
        }
        let process = Process()
        process.executableURL = binary
        process.arguments = ["--port", "0", "--bookings", "1", "--orders", "1", "--events", "1", "--experiences", "1"]
        process.environment = ["UNDERSTORY_CLIENT_ID": "compose-client", "UNDERSTORY_CLIENT_SECRET": "compose-s3cr3t-~x"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() }; process.waitUntilExit() }
        // Read the banner up to the line after the secret's line, then stop the server.
        var banner = ""
        let handle = out.fileHandleForReading
        while !banner.contains("companies:") {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            banner += String(decoding: chunk, as: UTF8.self)
        }
        #expect(banner.contains("UNDERSTORY_CLIENT_ID=compose-client"), "\(banner)")
        #expect(banner.contains("UNDERSTORY_CLIENT_SECRET=(as set in UNDERSTORY_CLIENT_SECRET)"), "\(banner)")
        #expect(!banner.contains("compose-s3cr3t"))
        // The environment's client is the one the token endpoint accepts.
        let base = try #require(banner.split(separator: "\n").first { $0.contains("listening on") }?.split(separator: " ").last.map(String.init))
        var request = HTTPClientRequest(url: base + "/oauth2/token")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.body = .bytes(Array("grant_type=client_credentials&client_id=compose-client&client_secret=compose-s3cr3t-~x&audience=https://api.understory.io".utf8))
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        let status: UInt
        do {
            status = try await http.execute(request, timeout: .seconds(30)).status.code
            try await http.shutdown()
        } catch {
            try? await http.shutdown()
            throw error
        }
        #expect(status == 200)
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
