import AsyncHTTPClient
import Foundation
import NIOCore
import SyncEngine
import SyncTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The real Prometheus server (Debian's package) scraping an in-process `serve`, with the
/// repository's alert rules loaded, asked through its HTTP API what it scraped.
@Suite("Prometheus scrapes serve")
struct PrometheusServerTests {
    @Test("Prometheus scrapes the expected series from serve and loads the alert rules", .enabled(if: PrometheusTools.installed, "\(PrometheusTools.missing)"))
    func scrapes() async throws {
        try await ServerHarness.with(holdProcessing: true) { harness in
            try await harness.recordSuccessfulSyncs(at: Date())
            _ = try await harness.post(ServerHarness.message(type: "v1.booking.updated", key: "booking_id", id: "x"), headers: [("webhook-id", "m")])
            try await Self.withPrometheus(scraping: harness.port, http: harness.http) { query, get in
                let up = try await eventually(within: .seconds(120)) {
                    try await query("up{job=\"understory-sync\"}").first?.value == "1"
                }
                #expect(up, "Prometheus never scraped serve")
                // One scrape brings every series at once; ask for the ones the alerts and the dashboard use.
                let freshness = try await query("understory_last_successful_sync_timestamp_seconds")
                #expect(Set(freshness.compactMap { $0.labels["resource"] }) == Set(Resource.allCases.map(\.rawValue)), "\(freshness)")
                let tables = try await query("understory_table_rows")
                #expect(Set(tables.compactMap { $0.labels["table"] }) == Set(OperationsSnapshot.syncedTables), "\(tables)")
                let rejected = try await query("sum(understory_webhooks_rejected_total)")
                #expect(Double(rejected.first?.value ?? "") ?? 0 >= 1, "\(rejected)")
                #expect(try await query("understory_database_up").first?.value == "1")
                #expect(try await query("understory_accounts{status=\"needs_reconnect\"}").first?.value == "0")
                #expect(!(try await query("understory_webhook_to_row_seconds_bucket")).isEmpty)
                // The alert rules loaded and evaluate without error.
                let rules = try await eventually {
                    let body = try await get("/api/v1/rules")
                    let groups = ((body["data"] as? [String: Any])?["groups"] as? [[String: Any]]) ?? []
                    let all = groups.flatMap { ($0["rules"] as? [[String: Any]]) ?? [] }
                    return all.count >= 7 && all.allSatisfy { $0["health"] as? String == "ok" }
                }
                #expect(rules, "alert rules not loaded or not healthy")
            }
        }
    }

    struct Sample: CustomStringConvertible {
        var labels: [String: String]
        var value: String
        var description: String { "\(labels) \(value)" }
    }

    /// Runs `prometheus` on a free loopback port with its own storage, scraping
    /// 127.0.0.1:`port` every second with deploy/prometheus/alerts.yml; stops and deletes it afterwards.
    static func withPrometheus(
        scraping port: Int, http: HTTPClient,
        _ body: (_ query: (String) async throws -> [Sample], _ get: (String) async throws -> [String: Any]) async throws -> Void
    ) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("prometheus-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let alerts = PrometheusTools.root.appendingPathComponent("deploy/prometheus/alerts.yml").path
        try """
            global: { scrape_interval: 1s, evaluation_interval: 1s }
            rule_files: ["\(alerts)"]
            scrape_configs:
              - job_name: understory-sync
                static_configs: [{ targets: ["127.0.0.1:\(port)"] }]
            """.write(to: directory.appendingPathComponent("prometheus.yml"), atomically: true, encoding: .utf8)
        let log = directory.appendingPathComponent("prometheus.log")
        let executable = try #require(PrometheusTools.prometheus)
        /// Starts Prometheus listening on `listen`; nil when it exits before it is ready (the port
        /// was taken between our pick and its bind).
        func start(_ listen: Int) async throws -> ChildProcess? {
            let process = try ChildProcess.start(
                executable,
                [
                    "--config.file=\(directory.appendingPathComponent("prometheus.yml").path)",
                    "--storage.tsdb.path=\(directory.appendingPathComponent("data").path)",
                    "--web.listen-address=127.0.0.1:\(listen)", "--log.level=warn",
                ],
                environment: ProcessInfo.processInfo.environment, directory: directory.path, stdout: .file(log.path), stderr: .file(log.path)
            )
            let ready = try await eventually {
                guard process.isRunning else { return true }
                let response = try? await http.execute(HTTPClientRequest(url: "http://127.0.0.1:\(listen)/-/ready"), timeout: .seconds(5))
                return response?.status.code == 200
            }
            if ready && process.isRunning { return process }
            // Only the process this test started, by its own handle.
            process.signal(SIGTERM)
            await process.exit()
            return nil
        }
        var started: (process: ChildProcess, listen: Int)?
        for _ in 1...3 where started == nil {
            let listen = try freeLoopbackPort()
            if let process = try await start(listen) { started = (process, listen) }
        }
        guard let (process, listen) = started else {
            throw TestFailure("prometheus did not start: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
        }
        func get(_ path: String) async throws -> [String: Any] {
            let response = try await http.execute(HTTPClientRequest(url: "http://127.0.0.1:\(listen)\(path)"), timeout: .seconds(120))
            let bytes = try await response.body.collect(upTo: 16 << 20)
            return (try JSONSerialization.jsonObject(with: Data(bytes.readableBytesView)) as? [String: Any]) ?? [:]
        }
        func query(_ promql: String) async throws -> [Sample] {
            var allowed = CharacterSet.alphanumerics
            allowed.insert(charactersIn: "-._~")
            let encoded = promql.addingPercentEncoding(withAllowedCharacters: allowed) ?? promql
            let json: [String: Any]
            do {
                json = try await get("/api/v1/query?query=\(encoded)")
            } catch {
                guard process.isRunning else {
                    throw TestFailure("prometheus exited: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
                }
                return []  // not listening yet
            }
            let results = ((json["data"] as? [String: Any])?["result"] as? [[String: Any]]) ?? []
            return results.map { result in
                Sample(labels: (result["metric"] as? [String: String]) ?? [:], value: ((result["value"] as? [Any])?.last as? String) ?? "")
            }
        }
        // Only the process this test started, by its own handle.
        do {
            try await body(query, get)
        } catch {
            process.signal(SIGTERM)
            await process.exit()
            throw error
        }
        process.signal(SIGTERM)
        await process.exit()
    }

    /// A port nothing listens on now (the kernel's pick for port 0, released at once).
    static func freeLoopbackPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0 else { throw TestFailure("bind() failed") }
        let named = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        guard named == 0 else { throw TestFailure("getsockname() failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
