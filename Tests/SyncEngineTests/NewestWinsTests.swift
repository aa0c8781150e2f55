import AsyncHTTPClient
import Foundation
import PostgresClient
import SyncEngine
import SyncTestSupport
import Testing
import UnderstoryAPI
import UnderstorySimulator

/// Every writer stores a row only when it is not older than the stored one, and replaces children
/// only with a parent version that is not older: raced against a webhook through the simulator's
/// held answers (`/_admin/hold`), over HTTP, with real PostgreSQL.
@Suite("newest wins, for every writer: a slow page never overwrites a newer row or its children")
struct NewestWinsTests {
    static func configuration() -> SimulatorConfiguration {
        var configuration = SyncHarness.smallAccount()
        configuration.adminEnabled = true
        return configuration
    }

    static func bookingsOnly() -> SyncOptions {
        var options = SyncHarness.options()
        options.resources = [.bookings]
        return options
    }

    /// An admin call to the simulator over HTTP; expects 200.
    static func admin(_ harness: SyncHarness, _ pathAndQuery: String) async throws {
        try await HTTPClient.withHTTPClient { http in
            var request = HTTPClientRequest(url: harness.simulator.baseURL + pathAndQuery)
            request.method = .POST
            let response = try await http.execute(request, timeout: .seconds(120))
            #expect(response.status.code == 200, "\(pathAndQuery)")
        }
    }

    /// A `v1.booking.updated` delivery for `bookingID`, stored in the inbox and processed (the inbox
    /// worker GETs the booking and its tickets and commits them).
    static func deliver(_ harness: SyncHarness, bookingID: String) async throws {
        let body = Array(
            #"{"id":"\#(UUID().uuidString.lowercased())","type":"v1.booking.updated","timestamp":"2026-11-30T05:00:00Z","payload":{"booking_id":"\#(bookingID)","host_id":"h"}}"#.utf8
        )
        let message = try #require(WebhookMessage.decode(body))
        let companyID = harness.simulator.configuration.companyID
        try await PostgresConnection.withConnection(harness.database, logger: harness.logger) { connection in
            let delivery = WebhookInbox.Delivery(companyID: companyID, webhookID: UUID().uuidString, sentAt: nil, body: body, message: message)
            let stored = try await WebhookInbox(connection: connection).insert(delivery)
            #expect(stored)
        }
        let client = harness.client
        _ = try await InboxWorker(database: harness.database, logger: harness.logger) { _ in client }.drain()
        #expect(try await harness.count("webhook_inbox", where: "status = 'processed'") >= 1)
    }

    /// The bookings and their tickets (`id`'s raced) equal the simulator's now.
    static func expectCurrent(_ harness: SyncHarness, booking id: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try await harness.expectEqualToTruth([.bookings], sourceLocation: sourceLocation)
        let tickets = try await ReconcileTests.ticketDifferences(harness, bookings: harness.simulator.ids(.bookings))
        #expect(tickets.isEmpty, "tickets (\(id) raced): \(tickets)", sourceLocation: sourceLocation)
    }

    @Test("reconcile's list page made before a webhook's commit and delivered after it: the webhook's newer booking and its tickets stay, and the row is not counted stale")
    func reconcilePageOlderThanWebhook() async throws {
        try await SyncHarness.with(Self.configuration()) { harness in
            let simulator = harness.simulator
            let id = simulator.ids(.bookings)[5]
            #expect(simulator.touch(.bookings, id: id) != nil, "the newest booking: on the first page")
            let options = Self.bookingsOnly()
            #expect(try await harness.runner.sync(options).succeeded)

            try await Self.admin(harness, "/_admin/hold?path=/v1/bookings&count=1")
            let reconcile = Task { try await harness.runner.reconcile(options) }
            #expect(try await eventually { simulator.heldAnswers == 1 }, "reconcile's first page is made and held")
            #expect(simulator.touch(.bookings, id: id) != nil)
            try await Self.deliver(harness, bookingID: id)
            try await Self.expectCurrent(harness, booking: id)
            try await Self.admin(harness, "/_admin/release")

            let report = try await reconcile.value
            #expect(report.succeeded, "\(report.failures)")
            #expect(report.counts[.bookings]?.stale == 0, "the table is ahead of the page, not stale")
            try await Self.expectCurrent(harness, booking: id)
        }
    }

    @Test("reconcile's children audit: tickets fetched before a webhook's commit and compared after it never replace the newer booking's tickets")
    func childrenAuditOlderThanWebhook() async throws {
        try await SyncHarness.with(Self.configuration()) { harness in
            let simulator = harness.simulator
            let id = simulator.ids(.bookings)[5]
            var options = Self.bookingsOnly()
            options.childrenDays = 36_500
            #expect(try await harness.runner.sync(options).succeeded)

            try await Self.admin(harness, "/_admin/hold?path=/v1/bookings/\(id)/tickets&count=1")
            let reconcile = Task { try await harness.runner.reconcile(options) }
            #expect(try await eventually { simulator.heldAnswers == 1 }, "the audit's fetch of the tickets is made and held")
            #expect(simulator.touch(.bookings, id: id) != nil)
            try await Self.deliver(harness, bookingID: id)
            try await Self.expectCurrent(harness, booking: id)
            try await Self.admin(harness, "/_admin/release")

            let report = try await reconcile.value
            #expect(report.succeeded, "\(report.failures)")
            try await Self.expectCurrent(harness, booking: id)
            // The next reconcile finds nothing to fix.
            let again = try await harness.runner.reconcile(options)
            #expect(again.counts[.bookings]?.childrenFixed == 0)
        }
    }

    @Test("a sync whose tickets answer was made before a webhook's commit and arrives after it: the webhook's newer booking and its tickets stay")
    func syncChildrenOlderThanWebhook() async throws {
        try await SyncHarness.with(Self.configuration()) { harness in
            let simulator = harness.simulator
            let id = simulator.ids(.bookings)[5]
            let options = Self.bookingsOnly()
            #expect(try await harness.runner.sync(options).succeeded)
            #expect(simulator.touch(.bookings, id: id) != nil, "changed: the next sync fetches its tickets")

            try await Self.admin(harness, "/_admin/hold?path=/v1/bookings/\(id)/tickets&count=1")
            let sync = Task { try await harness.runner.sync(options) }
            #expect(try await eventually { simulator.heldAnswers == 1 }, "the sync's fetch of the tickets is made and held")
            #expect(simulator.touch(.bookings, id: id) != nil)
            try await Self.deliver(harness, bookingID: id)
            try await Self.expectCurrent(harness, booking: id)
            try await Self.admin(harness, "/_admin/release")

            let report = try await sync.value
            #expect(report.succeeded, "\(report.failures)")
            try await Self.expectCurrent(harness, booking: id)
        }
    }

    @Test("a backfill whose tickets answer was made before a webhook's commit and arrives after it: the webhook's newer booking and its tickets stay")
    func backfillChildrenOlderThanWebhook() async throws {
        try await SyncHarness.with(Self.configuration()) { harness in
            let simulator = harness.simulator
            let id = simulator.ids(.bookings)[5]
            let options = Self.bookingsOnly()
            #expect(try await harness.runner.sync(options).succeeded)
            #expect(simulator.touch(.bookings, id: id) != nil, "changed: the backfill fetches its tickets")

            try await Self.admin(harness, "/_admin/hold?path=/v1/bookings/\(id)/tickets&count=1")
            let anchor = simulator.configuration.anchor
            let window = try BackfillWindow(from: Timestamp(anchor.addingTimeInterval(-60 * 86_400)), to: Timestamp(anchor.addingTimeInterval(86_400)))
            let backfill = Task { try await harness.runner.backfill(resource: .bookings, window: window, concurrency: 1, options: options) }
            #expect(try await eventually { simulator.heldAnswers == 1 }, "the backfill's fetch of the tickets is made and held")
            #expect(simulator.touch(.bookings, id: id) != nil)
            try await Self.deliver(harness, bookingID: id)
            try await Self.expectCurrent(harness, booking: id)
            try await Self.admin(harness, "/_admin/release")

            let report = try await backfill.value
            #expect(report.run.succeeded, "\(report.run.failures)")
            try await Self.expectCurrent(harness, booking: id)
        }
    }
}
