import Foundation
import PostgresClient
import SyncEngine
import SyncTestSupport
import Testing
import UnderstoryAPI
import UnderstorySimulator

/// Scopes as a real key has them: a key without `order.read`, token responses without `scope`,
/// a missing scope answered 401. Against the simulator over HTTP and a real PostgreSQL.
@Suite("scopes: what the key cannot read is skipped (default set) or fails 77 (named)")
struct ScopeTests {
    /// A small account whose integration key lacks `order.read`.
    static func keyWithoutOrders() -> SimulatorConfiguration {
        var configuration = SyncHarness.smallAccount()
        configuration.clients[0].scopes.remove("order.read")
        return configuration
    }

    @Test(
        "a key without order.read: the token is asked for again without it, orders are skipped with a notice naming the scope, the rest syncs",
        arguments: [false, true]
    )
    func keyWithoutOrderRead(refusalUnnamed: Bool) async throws {
        try await SyncHarness.with(Self.keyWithoutOrders()) { harness in
            harness.simulator.updateFaults { $0.invalidScopeUnnamed = refusalUnnamed }
            let summary = try await harness.runner.sync(SyncHarness.options())
            #expect(summary.succeeded, "\(summary.failures)")
            #expect(summary.runFailures.isEmpty, "a skipped resource is not a failure")
            let notice = try #require(summary.skipped[.orders])
            #expect(notice.contains("order.read") && notice.contains("refused"), "\(notice)")
            #expect(summary.counts[.orders] == nil)
            #expect(await harness.client.tokens.refusedScopes == ["order.read"])
            try await harness.expectEqualToTruth([.bookings, .events, .experiences])
            #expect(try await harness.count("orders") == 0)
        }
    }

    @Test("a key without order.read, orders asked for by name: exit 77 naming order.read, nothing else attempted")
    func namedWithoutScope() async throws {
        try await SyncHarness.with(Self.keyWithoutOrders()) { harness in
            var options = SyncHarness.options()
            options.resources = [.orders]
            options.namedResources = [.orders]
            let summary = try await harness.runner.sync(options)
            #expect(!summary.succeeded)
            let error = try #require(summary.errors[.orders] as? UnderstoryAPIError)
            #expect(error.code == .forbidden && error.requiredScope == "order.read", "\(error)")
            #expect(harness.simulator.requestCount(pathPrefix: "/v1/orders") == 0)
        }
    }

    @Test("token responses without scope and a missing scope answered 401: the resource is skipped, the run succeeds")
    func unauthorizedForMissingScope() async throws {
        try await SyncHarness.with(MarketingConsentsTests.account().withoutMarketing, scopes: UnderstoryConfiguration.Default.scopes) { harness in
            harness.simulator.updateFaults {
                $0.tokenResponseOmitsScope = true
                $0.missingScopeUnauthorized = true
            }
            let summary = try await harness.runner.sync(SyncHarness.options())
            #expect(summary.succeeded, "\(summary.failures)")
            #expect(await harness.client.tokens.grantedScopes == nil)
            let notice = try #require(summary.skipped[.marketingConsents])
            #expect(notice.contains("401") && notice.contains("marketing.read"), "\(notice)")
            try await harness.expectEqualToTruth()
        }
    }

    @Test("with the default set, 401 with a fresh token that listed no scopes skips bookings; named, it fails 77")
    func unauthorizedNamedOrNot() async throws {
        var configuration = SyncHarness.smallAccount()
        configuration.clients[0].scopes.remove("booking.read")
        try await SyncHarness.with(configuration, scopes: ["openid", "order.read", "event.read", "experience.read"]) { harness in
            harness.simulator.updateFaults {
                $0.tokenResponseOmitsScope = true
                $0.missingScopeUnauthorized = true
            }
            var options = SyncHarness.options()
            options.resources = [.bookings, .events]
            let skipped = try await harness.runner.sync(options)
            #expect(skipped.succeeded, "\(skipped.failures)")
            #expect(skipped.skipped[.bookings]?.contains("booking.read") == true)
            options.namedResources = [.bookings]
            let named = try await harness.runner.sync(options)
            let error = try #require(named.errors[.bookings] as? UnderstoryAPIError)
            #expect(error.code == .authenticationFailed && error.requiredScope == "booking.read", "\(error)")
        }
    }

    @Test("a skipped resource is recorded with the scope to tick for status, status --json and /metrics until a run syncs it; each run records its exit status")
    func skippedResourceIsRecorded() async throws {
        try await SyncHarness.with(SyncHarness.smallAccount()) { harness in
            // The API answers 403 on orders: the default set skips them.
            harness.simulator.failRequests(matching: "/v1/orders", status: 403)
            var options = SyncHarness.options()
            options.resources = [.orders, .bookings, .events, .experiences]
            let skipped = try await harness.runner.sync(options)
            #expect(skipped.succeeded && skipped.skipped[.orders] != nil, "\(skipped.failures)")
            var report = try await StatusReport.load(database: harness.database, logger: harness.logger)
            let orders = try #require(report.resources.first { $0.resource == "orders" })
            #expect(orders.skippedScope == "order.read" && orders.skippedReason?.contains("403") == true, "\(orders)")
            #expect(orders.skippedAt != nil && orders.lastSuccessAt == nil)
            #expect(report.resources.filter { $0.skippedScope != nil }.map(\.resource) == ["orders"])
            let json = String(decoding: try JSONEncoder().encode(report), as: UTF8.self)
            #expect(json.contains("\"skipped_scope\":\"order.read\""), "\(json)")
            #expect(report.lastRun?.exitStatus == 0, "a skip is a notice: the run exits 0")
            var snapshot = try await PostgresConnection.withConnection(harness.database, logger: harness.logger) { try await OperationsSnapshot.read(connection: $0, now: Date()) }
            #expect(snapshot.skipped[.init(resource: "orders", scope: "order.read")] == 1)
            #expect(snapshot.skipped[.init(resource: "bookings", scope: "booking.read")] == 0, "every resource is exported, 0 when not skipped")

            // The key can read orders again: the next run syncs them and clears the skip.
            harness.simulator.clearPathFaults()
            let synced = try await harness.runner.sync(options)
            #expect(synced.succeeded && synced.skipped.isEmpty, "\(synced.failures)")
            report = try await StatusReport.load(database: harness.database, logger: harness.logger)
            let cleared = try #require(report.resources.first { $0.resource == "orders" })
            #expect(cleared.skippedScope == nil && cleared.skippedReason == nil && cleared.lastSuccessAt != nil, "\(cleared)")
            snapshot = try await PostgresConnection.withConnection(harness.database, logger: harness.logger) { try await OperationsSnapshot.read(connection: $0, now: Date()) }
            #expect(snapshot.skipped[.init(resource: "orders", scope: "order.read")] == 0)
        }
    }
}

extension SimulatorConfiguration {
    /// The same account, its key without `marketing.read`.
    fileprivate var withoutMarketing: SimulatorConfiguration {
        var configuration = self
        configuration.clients[0].scopes.remove("marketing.read")
        return configuration
    }
}
