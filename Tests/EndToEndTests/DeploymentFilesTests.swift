import AsyncHTTPClient
import Foundation
import SyncTestSupport
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
        let process = try ChildProcess.start(
            binary.path, ["--port", "0", "--bookings", "1", "--orders", "1", "--events", "1", "--experiences", "1"],
            environment: ["UNDERSTORY_CLIENT_ID": "compose-client", "UNDERSTORY_CLIENT_SECRET": "compose-s3cr3t-~x"], stderr: .discard
        )
        // The banner, up to the line after the secret's line.
        _ = try await eventually { process.stdout.contains("companies:") || !process.isRunning }
        let banner = process.stdout
        #expect(banner.contains("UNDERSTORY_CLIENT_ID=compose-client"), "\(banner)")
        #expect(banner.contains("UNDERSTORY_CLIENT_SECRET=(as set in UNDERSTORY_CLIENT_SECRET)"), "\(banner)")
        #expect(!banner.contains("compose-s3cr3t"))
        // The environment's client is the one the token endpoint accepts.
        let base = banner.split(separator: "\n").first { $0.contains("listening on") }?.split(separator: " ").last.map(String.init)
        var status: UInt?
        if let base {
            var request = HTTPClientRequest(url: base + "/oauth2/token")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(Array("grant_type=client_credentials&client_id=compose-client&client_secret=compose-s3cr3t-~x&audience=https://api.understory.io".utf8))
            status = try? await HTTPClient.withHTTPClient { try await $0.execute(request, timeout: .seconds(120)).status.code }
        }
        // Only the process this test started, by its own handle.
        process.signal(SIGTERM)
        await process.exit()
        #expect(base != nil, "no listening line in \(banner)")
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

    @Test("Dockerfile: multi-stage on the official Swift image, runtime with libpq5 and the migrations, Package.resolved copied when present")
    func dockerfile() throws {
        let text = try Self.text("Dockerfile")
        // A glob matching Package.resolved or nothing: COPY then neither fails without it nor ignores it.
        #expect(text.split(separator: "\n").contains { $0.hasPrefix("COPY ") && $0.contains("Package.swift") && $0.contains("Package.resolve[d]") }, "\(text)")
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
        "configmap.yaml", "migrate-job.yaml", "schedule-deployment.yaml", "secret.example.yaml", "serve-deployment.yaml", "serve-pdb.yaml",
        "serve-service.yaml", "sync-cronjob.yaml", "worker-deployment.yaml",
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
            "secret.example.yaml": "Secret", "serve-deployment.yaml": "Deployment", "serve-pdb.yaml": "PodDisruptionBudget",
            "serve-service.yaml": "Service", "sync-cronjob.yaml": "CronJob", "worker-deployment.yaml": "Deployment",
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

        // The long-running pods are probed on /healthz and scraped where --metrics-port serves.
        for file in ["schedule-deployment.yaml", "worker-deployment.yaml", "serve-deployment.yaml"] {
            let deployment = try Self.manifest(file)
            let deploymentArguments = try arguments(file)
            let port = (deploymentArguments.firstIndex(of: "--metrics-port") ?? deploymentArguments.firstIndex(of: "--port")).map { deploymentArguments[$0 + 1] }
            let container = try #require((Self.podSpec(deployment)?["containers"] as? [[String: Any]])?.first)
            for probe in ["livenessProbe", "readinessProbe"] {
                #expect(((container[probe] as? [String: Any])?["httpGet"] as? [String: Any])?["path"] as? String == "/healthz", "\(file) \(probe)")
            }
            let annotations = ((((deployment["spec"] as? [String: Any])?["template"] as? [String: Any])?["metadata"] as? [String: Any])?["annotations"]
                as? [String: String]) ?? [:]
            #expect(annotations["prometheus.io/scrape"] == "true", "\(file)")
            #expect(annotations["prometheus.io/port"] == port && port != nil, "\(file): scraped where --metrics-port serves")
            #expect(annotations["prometheus.io/path"] == "/metrics", "\(file)")
            // Annotation-based scraping sends no bearer token: beyond loopback, /metrics must be made public explicitly.
            if let host = deploymentArguments.firstIndex(of: "--metrics-host").map({ deploymentArguments[$0 + 1] }), host != "127.0.0.1" {
                #expect(deploymentArguments.contains("--public-status"), "\(file): /metrics on \(host) refuses to start without a token or --public-status")
            }
        }
    }
}

/// deploy/kubernetes: `serve` behind a Service with a disruption budget, and every workload hardened.
extension DeploymentFilesTests {
    @Test("serve: a Deployment of 2 replicas probed on /healthz, a Service to its port, a PodDisruptionBudget selecting its pods")
    func serveManifests() throws {
        let deployment = try Self.manifest("serve-deployment.yaml")
        let spec = try #require(deployment["spec"] as? [String: Any])
        #expect(spec["replicas"] as? Int == 2)
        let labels = try #require(((spec["selector"] as? [String: Any])?["matchLabels"]) as? [String: String])
        let container = try #require((Self.podSpec(deployment)?["containers"] as? [[String: Any]])?.first)
        let arguments = try #require(container["args"] as? [String])
        #expect(arguments.first == "serve")
        #expect(arguments.firstIndex(of: "--host").map { arguments[$0 + 1] } == "0.0.0.0", "listens beyond loopback in a pod")
        let portName = try #require((container["ports"] as? [[String: Any]])?.first?["name"] as? String)
        for probe in ["livenessProbe", "readinessProbe"] {
            let get = (container[probe] as? [String: Any])?["httpGet"] as? [String: Any]
            #expect(get?["path"] as? String == "/healthz" && get?["port"] as? String == portName, "\(probe)")
        }

        let service = try Self.manifest("serve-service.yaml")
        let serviceSpec = try #require(service["spec"] as? [String: Any])
        #expect(serviceSpec["selector"] as? [String: String] == labels)
        #expect((serviceSpec["ports"] as? [[String: Any]])?.first?["targetPort"] as? String == portName)

        let budget = try Self.manifest("serve-pdb.yaml")
        #expect(budget["apiVersion"] as? String == "policy/v1")
        let budgetSpec = try #require(budget["spec"] as? [String: Any])
        #expect(((budgetSpec["selector"] as? [String: Any])?["matchLabels"]) as? [String: String] == labels)
        let minAvailable = budgetSpec["minAvailable"] as? Int
        #expect(minAvailable != nil && minAvailable! >= 1 && minAvailable! < 2, "one pod may go, one stays")
    }

    @Test("every workload runs as non-root with a read-only root file system, no capabilities, RuntimeDefault seccomp, requests and limits, a pinned image")
    func hardened() throws {
        var workloads = 0
        for file in Self.kubernetesFiles {
            let document = try Self.manifest(file)
            guard let pod = Self.podSpec(document) else { continue }
            workloads += 1
            let podSecurity = (pod["securityContext"] as? [String: Any]) ?? [:]
            #expect(podSecurity["runAsNonRoot"] as? Bool == true, "\(file)")
            #expect(((podSecurity["runAsUser"] as? Int) ?? 0) > 0, "\(file): a numeric non-root user")
            #expect((podSecurity["seccompProfile"] as? [String: Any])?["type"] as? String == "RuntimeDefault", "\(file)")
            for container in try #require(pod["containers"] as? [[String: Any]], "\(file)") {
                let image = container["image"] as? String ?? ""
                let tag = image.split(separator: ":", maxSplits: 1).dropFirst().first.map(String.init) ?? ""
                #expect(!tag.isEmpty && tag != "latest", "\(file): image \(image) is pinned")
                let security = (container["securityContext"] as? [String: Any]) ?? [:]
                #expect(security["readOnlyRootFilesystem"] as? Bool == true, "\(file)")
                #expect(security["allowPrivilegeEscalation"] as? Bool == false, "\(file)")
                #expect((security["capabilities"] as? [String: Any])?["drop"] as? [String] == ["ALL"], "\(file)")
                let resources = (container["resources"] as? [String: Any]) ?? [:]
                for kind in ["requests", "limits"] {
                    let values = (resources[kind] as? [String: Any]) ?? [:]
                    #expect(values["cpu"] != nil && values["memory"] != nil, "\(file): \(kind) for cpu and memory")
                }
            }
        }
        #expect(workloads == 5, "migrate, sync, schedule, worker and serve")
    }
}
