import Foundation
import SyncEngine
import SyncTestSupport
import Testing

/// deploy/prometheus/alerts.yml, its `promtool test rules` unit tests, and
/// deploy/grafana/understory-sync.json, held to what `/metrics` really exports.
@Suite("alert rules and dashboard")
struct AlertRulesTests {
    static let alerts = PrometheusTools.root.appendingPathComponent("deploy/prometheus/alerts.yml")
    static let ruleTests = PrometheusTools.root.appendingPathComponent("deploy/prometheus/tests/alerts_test.yml")
    static let dashboard = PrometheusTools.root.appendingPathComponent("deploy/grafana/understory-sync.json")

    /// The alerts the operators asked for (issue 24): each must exist and have a unit test.
    static let requiredAlerts: Set<String> = [
        "UnderstoryNoSuccessfulSync", "UnderstoryWebhooksParked", "UnderstoryWebhookInboxStuck", "UnderstoryServeDown",
        "UnderstoryAccountNeedsReconnect", "UnderstoryRejectedItemsGrowing",
    ]

    @Test("`promtool check rules` and `promtool test rules` pass, and the scrape example is a valid configuration", .enabled(if: PrometheusTools.promtool != nil, "\(PrometheusTools.missing)"))
    func promtoolRules() async throws {
        let promtool = try #require(PrometheusTools.promtool)
        let check = try await PrometheusTools.run(promtool, ["check", "rules", Self.alerts.path])
        #expect(check.status == 0, "\(check.output)")
        let unit = try await PrometheusTools.run(promtool, ["test", "rules", Self.ruleTests.path])
        #expect(unit.status == 0, "\(unit.output)")
        let config = try await PrometheusTools.run(promtool, ["check", "config", "--syntax-only", "prometheus.yml"], in: Self.alerts.deletingLastPathComponent())
        #expect(config.status == 0, "\(config.output)")
    }

    @Test("every alert has a unit test, and the six operators rely on exist")
    func everyAlertTested() throws {
        let rules = try String(contentsOf: Self.alerts, encoding: .utf8)
        let tests = try String(contentsOf: Self.ruleTests, encoding: .utf8)
        let alerts = Set(rules.matches(of: #/- alert: ([A-Za-z]+)/#).map { String($0.output.1) })
        let tested = Set(tests.matches(of: #/alertname: ([A-Za-z]+)/#).map { String($0.output.1) })
        #expect(Self.requiredAlerts.isSubset(of: alerts), "missing: \(Self.requiredAlerts.subtracting(alerts))")
        #expect(alerts == tested, "untested: \(alerts.subtracting(tested)); tests of no alert: \(tested.subtracting(alerts))")
    }

    @Test("the alert rules and every dashboard query name only metrics a real /metrics exports")
    func namesExported() async throws {
        let expressions = try Self.dashboardExpressions()
        #expect(expressions.count >= 10, "\(expressions)")
        let rules = try String(contentsOf: Self.alerts, encoding: .utf8)
        try await ServerHarness.with(holdProcessing: true) { harness in
            try await harness.recordSuccessfulSyncs(at: Date())
            let exported = PrometheusTools.exportedNames(try await harness.get("/metrics").body)
            let alertNames = PrometheusTools.metricNames(in: rules)
            #expect(!alertNames.isEmpty)
            #expect(alertNames.isSubset(of: exported), "alerts name what /metrics does not export: \(alertNames.subtracting(exported))")
            for expression in expressions {
                let names = PrometheusTools.metricNames(in: expression)
                #expect(!names.isEmpty || expression.contains("up{"), "\(expression) names no metric")
                #expect(names.isSubset(of: exported), "dashboard query \(expression) names what /metrics does not export: \(names.subtracting(exported))")
            }
        }
    }

    @Test("the dashboard covers freshness, runs, webhook latency and backlog, API requests and 429s, rejected items")
    func dashboardCovers() throws {
        let all = try Self.dashboardExpressions().joined(separator: "\n")
        for name in [
            "understory_last_successful_sync_timestamp_seconds", "understory_sync_runs_last_day", "understory_webhook_to_row_seconds_bucket",
            "understory_webhook_inbox_pending", "understory_api_requests_total", "understory_api_rate_limited_total", "understory_rejected_items",
        ] {
            #expect(all.contains(name), "the dashboard shows no \(name)")
        }
    }

    @Test("the README points at the rule files instead of carrying its own copy")
    func readmePointsAtFiles() throws {
        let readme = try String(contentsOf: PrometheusTools.root.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.contains("deploy/prometheus/alerts.yml"))
        #expect(readme.contains("deploy/grafana/understory-sync.json"))
        #expect(!readme.contains("- alert: "), "alert rules live in deploy/prometheus/alerts.yml only")
    }

    /// Every `expr` of every panel's targets.
    static func dashboardExpressions() throws -> [String] {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: dashboard))
        var expressions: [String] = []
        func walk(_ value: Any) {
            if let object = value as? [String: Any] {
                if let expr = object["expr"] as? String { expressions.append(expr) }
                object.values.forEach(walk)
            } else if let array = value as? [Any] {
                array.forEach(walk)
            }
        }
        walk(json)
        return expressions
    }
}
