import AsyncHTTPClient
import Foundation
import NIOCore
import SyncEngine
import SyncServer
import SyncTestSupport
import Testing
import UnderstoryAPI
import UnderstorySimulator

@Suite("serve: POST /webhooks/understory, the inbox and its worker")
struct WebhookEndpointTests {
    @Test("a wrong secret, a tampered body, an old timestamp or a missing header gets 401 and stores nothing")
    func rejectsUnverified() async throws {
        try await ServerHarness.with(holdProcessing: true) { harness in
            let body = ServerHarness.message(type: "v1.booking.updated", key: "booking_id", id: "b1")
            let other = "whsec_" + Data(repeating: 9, count: 24).base64EncodedString()
            var cases: [(String, [UInt8], [(String, String)])] = [
                ("wrong secret", body, try harness.signedHeaders(id: "msg_1", body: body, secret: other)),
                ("tampered body", Array(body.dropLast(2)) + Array("}}".utf8) + [0x20], try harness.signedHeaders(id: "msg_2", body: body)),
                ("old timestamp", body, try harness.signedHeaders(id: "msg_3", body: body, timestamp: Int64(Date().timeIntervalSince1970) - 600)),
            ]
            for name in ["webhook-id", "webhook-timestamp", "webhook-signature"] {
                cases.append(("no \(name)", body, try harness.signedHeaders(id: "msg_4", body: body).filter { $0.0 != name }))
            }
            for (name, body, headers) in cases {
                #expect(try await harness.post(body, headers: headers) == 401, "\(name)")
            }
            #expect(try await harness.count("webhook_inbox") == 0)
        }
    }

    @Test("a body over the cap (16 KiB: Understory's thin messages are under 400 bytes) gets 413 and stores nothing")
    func rejectsLargeBody() async throws {
        try await ServerHarness.with(holdProcessing: true) { harness in
            #expect(WebhookServer.Configuration().maxBodyBytes == 16 * 1024)
            let body = Array(repeating: UInt8(ascii: " "), count: 16 * 1024 + 1)
            let bigHeaders = try harness.signedHeaders(id: "msg_big", body: body)
            #expect(try await harness.post(body, headers: bigHeaders) == 413)
            #expect(try await harness.count("webhook_inbox") == 0)
        }
    }

    @Test("a verified delivery is stored before 204, and a duplicate is acknowledged and stored once")
    func storesOnce() async throws {
        try await ServerHarness.with(holdProcessing: true) { harness in
            let id = harness.simulator.ids(.bookings)[0]
            let body = ServerHarness.message(type: "v1.booking.updated", key: "booking_id", id: id)
            let headers = try harness.signedHeaders(id: "msg_dup", body: body)
            #expect(try await harness.post(body, headers: headers) == 204)
            #expect(try await harness.count("webhook_inbox", where: "status = 'pending' AND resource = 'bookings'") == 1)
            let againHeaders = try harness.signedHeaders(id: "msg_dup", body: body)
            #expect(try await harness.post(body, headers: againHeaders) == 204)
            #expect(try await harness.count("webhook_inbox") == 1)
        }
    }

    @Test("simulator changes reach bookings, events and experiences through webhooks alone, despite duplicates and reordering")
    func deliversChanges() async throws {
        try await ServerHarness.with { harness in
            _ = try await SyncRunner(database: harness.database, client: harness.client, logger: harness.logger).sync(ServerHarness.syncOptions())
            let runs = try await harness.count("sync_runs")
            harness.subscribe()
            // The sender does not give up on a message within the test: one answered late by a starved
            // server is retried, not dropped (the test is about the receiver, not the sender's patience).
            harness.simulator.updateWebhookFaults {
                $0.duplicate = true
                $0.outOfOrder = true
                $0.maxAttempts = 1_000
            }
            for _ in 0..<20 {
                harness.simulator.mutate(updates: 3, creates: 1, cancels: 1, resources: [.bookings, .events, .experiences])
            }
            let equal = try await eventually { try await harness.differences().isEmpty }
            let remaining = try await harness.differences()
            #expect(equal, "tables differ from the simulator: \(remaining.prefix(5)); sender: \(harness.simulator.webhookStatistics)")
            #expect(try await harness.count("sync_runs") == runs, "a sync ran")
            // Every stored message was processed exactly once (duplicates were stored once).
            let ok = try await eventually { try await harness.count("webhook_inbox", where: "status <> 'processed'") == 0 }
            #expect(ok)
            let messages = harness.simulator.webhookStatistics.messages
            #expect(try await harness.count("webhook_inbox") == messages)
        }
    }

    @Test("a delivery signed with a forged key changes nothing")
    func forgedChangesNothing() async throws {
        try await ServerHarness.with { harness in
            harness.subscribe()
            harness.simulator.updateWebhookFaults {
                $0.forgeSignature = true
                $0.maxAttempts = 1
            }
            let before = harness.simulator.truth()
            harness.simulator.mutate(updates: 5, creates: 1, cancels: 1, resources: [.bookings, .events])
            let messages = harness.simulator.webhookStatistics.messages
            #expect(messages > 0)
            let refused = try await eventually { harness.simulator.webhookStatistics.failedMessages == messages }
            #expect(refused)
            #expect(try await harness.count("webhook_inbox") == 0)
            #expect(try await harness.count("bookings") == 0)
            _ = before
        }
    }

    @Test("v1.event.deleted, confirmed by a 404 the confirmation delay later, sets _deleted_at on the event and removes its sessions, as a confirmed deletion in a sync does; a message whose item keeps answering 404 is processed after the second look, not retried")
    func deletions() async throws {
        var options = InboxWorker.Options()
        options.deletionConfirmation = .milliseconds(500)
        try await ServerHarness.with(workerOptions: options) { harness in
            _ = try await SyncRunner(database: harness.database, client: harness.client, logger: harness.logger).sync(ServerHarness.syncOptions())
            let eventID = harness.simulator.ids(.events)[0]
            #expect(harness.simulator.delete(.events, id: eventID))
            let deleted = ServerHarness.message(type: "v1.event.deleted", key: "event_id", id: eventID)
            let deletedHeaders = try harness.signedHeaders(id: "msg_del", body: deleted)
            #expect(try await harness.post(deleted, headers: deletedHeaders) == 204)
            let missing = ServerHarness.message(type: "v1.experience.updated", key: "experience_id", id: "no-such-experience")
            let missingHeaders = try harness.signedHeaders(id: "msg_404", body: missing)
            #expect(try await harness.post(missing, headers: missingHeaders) == 204)
            let done = try await eventually { try await harness.count("webhook_inbox", where: "status = 'processed'") == 2 }
            #expect(done)
            #expect(try await harness.count("events", where: "_deleted_at IS NOT NULL") == 1)
            #expect(try await harness.count("events", where: "_deleted_at IS NOT NULL AND id = '\(eventID)'") == 1)
            #expect(try await harness.count("event_sessions", where: "event_id = '\(eventID)'") == 0)
            #expect(try await harness.count("event_sessions") > 0)
        }
    }

    @Test("deliveries stored while processing is held are processed by the next worker, nothing lost")
    func pendingSurviveRestart() async throws {
        try await ServerHarness.with(holdProcessing: true) { harness in
            _ = try await SyncRunner(database: harness.database, client: harness.client, logger: harness.logger).sync(ServerHarness.syncOptions())
            harness.subscribe()
            for _ in 0..<5 { harness.simulator.mutate(updates: 3, creates: 1, cancels: 1, resources: [.bookings, .events, .experiences]) }
            let messages = harness.simulator.webhookStatistics.messages
            let stored = try await eventually { try await harness.count("webhook_inbox", where: "status = 'pending'") == messages }
            #expect(stored)
            #expect(try await !harness.differences().isEmpty)
            // A new worker (as after a restart) finds the pending rows.
            let client = harness.client
            let worker = InboxWorker(database: harness.database, logger: harness.logger) { _ in client }
            try await worker.drain()
            #expect(try await harness.differences().isEmpty)
            #expect(try await harness.count("webhook_inbox", where: "status = 'processed'") == messages)
        }
    }

    @Test("a message that keeps failing is retried with back-off and parked after 10 attempts, its error kept")
    func parksAfterTenAttempts() async throws {
        try await ServerHarness.with(holdProcessing: true) { harness in
            let id = harness.simulator.ids(.bookings)[0]
            let body = ServerHarness.message(type: "v1.booking.updated", key: "booking_id", id: id)
            let failHeaders = try harness.signedHeaders(id: "msg_fail", body: body)
            #expect(try await harness.post(body, headers: failHeaders) == 204)
            harness.simulator.updateFaults { $0.errorRate = 1 }
            var options = InboxWorker.Options()
            options.baseDelay = .zero
            let client = harness.client
            let worker = InboxWorker(database: harness.database, options: options, logger: harness.logger) { _ in client }
            try await worker.drain()
            let row = try await harness.query("SELECT status, attempts, last_error FROM understory.webhook_inbox").rows[0]
            #expect(try row["status"].decode(String.self) == "parked")
            #expect(try row["attempts"].decode(Int.self) == 10)
            let error = try row["last_error"].decode(String.self)
            #expect(!error.isEmpty)
            #expect(!error.contains(harness.secret))
            #expect(!error.contains(harness.simulator.clientSecret))
        }
    }

    @Test("back-off doubles from the base delay and is capped")
    func backoff() {
        var options = InboxWorker.Options()
        options.baseDelay = .seconds(2)
        options.maxDelay = .seconds(60)
        #expect(InboxWorker.backoff(afterFailures: 1, options: options) == .seconds(2))
        #expect(InboxWorker.backoff(afterFailures: 3, options: options) == .seconds(8))
        #expect(InboxWorker.backoff(afterFailures: 9, options: options) == .seconds(60))
    }

    @Test("GET /healthz answers 200 while PostgreSQL answers, and /metrics exposes the webhook counters")
    func healthAndMetrics() async throws {
        try await ServerHarness.with(holdProcessing: true) { harness in
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(harness.port)/healthz")
            var response = try await harness.http.execute(request, timeout: .seconds(120))
            #expect(response.status.code == 200)
            let body = ServerHarness.message(type: "v1.booking.updated", key: "booking_id", id: "x")
            _ = try await harness.post(body, headers: [("webhook-id", "m")])
            request = HTTPClientRequest(url: "http://127.0.0.1:\(harness.port)/metrics")
            response = try await harness.http.execute(request, timeout: .seconds(120))
            let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
            for name in [
                "understory_webhooks_received_total", "understory_webhooks_rejected_total", "understory_webhook_inbox_pending",
                "understory_webhook_inbox_oldest_pending_seconds", "understory_api_requests",
            ] {
                #expect(text.contains(name), "\(name) missing from /metrics")
            }
        }
    }
}
