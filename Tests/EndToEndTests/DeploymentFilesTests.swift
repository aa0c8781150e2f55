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

/// deploy/kubernetes: the fleet of workers, the internal-key CronJob and schedule, migrate, Secret and ConfigMap.
extension DeploymentFilesTests {
    static let kubernetesFiles = [
        "configmap.yaml", "migrate-job.yaml", "schedule-deployment.yaml", "secret.example.yaml", "sync-cronjob.yaml", "worker-deployment.yaml",
    ]
    /// Variables that are secrets: only ever read from the Secret.
    static let secretNames: Set<String> = ["UNDERSTORY_CLIENT_ID", "UNDERSTORY_CLIENT_SECRET", "UNDERSTORY_TOKEN_KEY", "DATABASE_URL"]

    static func manifest(_ name: String) throws -> [String: Any] {
        try #require(try Yams.load(yaml: text("deploy/kubernetes/\(name)")) as? [String: Any], "\(name)")
    }

    /// The pod spec of a Deployment, Job or CronJob.
    static func podSpec(_ document: [String: Any]) -> [String: Any]? {
        let spec = document["spec"] as? [String: Any]
        let template = (spec?["jobTemplate"] as? [String: Any]).flatMap { ($0["spec"] as? [String: Any])?["template"] } ?? spec?["template"]
        return (template as? [String: Any])?["spec"] as? [String: Any]
    }

    @Test("deploy/kubernetes: kinds, the image, env only from the Secret and ConfigMap, no secret value inline")
    func kubernetes() throws {
        var kinds = [String: String]()
        for file in Self.kubernetesFiles {
            let document = try Self.manifest(file)
            kinds[file] = document["kind"] as? String
            guard let pod = Self.podSpec(document) else { continue }
            let containers = try #require(pod["containers"] as? [[String: Any]], "\(file)")
            for container in containers {
                #expect((container["image"] as? String)?.hasPrefix("understory-sync:") == true, "\(file)")
                let from = (container["envFrom"] as? [[String: Any]]) ?? []
                let secretRefs = from.compactMap { ($0["secretRef"] as? [String: Any])?["name"] as? String }
                #expect(secretRefs == ["understory-sync"], "\(file) reads the Secret")
                for variable in (container["env"] as? [[String: Any]]) ?? [] {
                    let name = variable["name"] as? String ?? ""
                    #expect(!(Self.secretNames.contains(name) && variable["value"] != nil), "\(file) sets \(name) inline")
                }
            }
        }
        #expect(kinds == [
            "configmap.yaml": "ConfigMap", "migrate-job.yaml": "Job", "schedule-deployment.yaml": "Deployment",
            "secret.example.yaml": "Secret", "sync-cronjob.yaml": "CronJob", "worker-deployment.yaml": "Deployment",
        ])

        // The example Secret holds placeholders only, and no workload repeats one of its values.
        let secret = try #require(try Self.manifest("secret.example.yaml")["stringData"] as? [String: String])
        #expect(Set(secret.keys) == Self.secretNames)
        #expect(secret.values.allSatisfy { $0.hasPrefix("<") && $0.hasSuffix(">") })
        let config = try #require(try Self.manifest("configmap.yaml")["data"] as? [String: String])
        #expect(Set(config.keys).isDisjoint(with: Self.secretNames), "no secret in the ConfigMap")

        func arguments(_ file: String) throws -> [String] {
            try #require((Self.podSpec(try Self.manifest(file))?["containers"] as? [[String: Any]])?.first?["args"] as? [String], "\(file)")
        }
        #expect(try arguments("migrate-job.yaml").first == "migrate")
        #expect(try arguments("sync-cronjob.yaml").first == "sync")
        #expect(try Self.manifest("sync-cronjob.yaml")["spec"].flatMap { ($0 as? [String: Any])?["concurrencyPolicy"] as? String } == "Forbid")

        let worker = try Self.manifest("worker-deployment.yaml")
        let workerArguments = try arguments("worker-deployment.yaml")
        #expect(workerArguments.first == "worker")
        #expect(((worker["spec"] as? [String: Any])?["replicas"] as? Int ?? 0) >= 2)
        let lease = workerArguments.firstIndex(of: "--lease").map { Int(workerArguments[$0 + 1]) ?? 0 } ?? 120
        let grace = Self.podSpec(worker)?["terminationGracePeriodSeconds"] as? Int ?? 30
        #expect(grace >= lease, "SIGTERM grace covers a batch in hand")

        let schedule = try Self.manifest("schedule-deployment.yaml")
        let scheduleArguments = try arguments("schedule-deployment.yaml")
        let port = scheduleArguments.firstIndex(of: "--metrics-port").map { scheduleArguments[$0 + 1] }
        let container = try #require((Self.podSpec(schedule)?["containers"] as? [[String: Any]])?.first)
        for probe in ["livenessProbe", "readinessProbe"] {
            #expect(((container[probe] as? [String: Any])?["httpGet"] as? [String: Any])?["path"] as? String == "/healthz", "\(probe)")
        }
        let annotations = ((((schedule["spec"] as? [String: Any])?["template"] as? [String: Any])?["metadata"] as? [String: Any])?["annotations"]
            as? [String: String]) ?? [:]
        #expect(annotations["prometheus.io/scrape"] == "true")
        #expect(annotations["prometheus.io/port"] == port && port != nil, "scraped where --metrics-port serves")
        #expect(annotations["prometheus.io/path"] == "/metrics")
    }
}
