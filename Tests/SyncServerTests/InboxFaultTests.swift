import AsyncHTTPClient
import Foundation
import PostgresClient
import SyncEngine
import SyncServer
import SyncTestSupport
import Synchronization
import Testing
import UnderstoryAPI
import UnderstorySimulator

/// Each fault `sync` survives, tried on `serve`'s inbox worker: it is that delivery's failure, never
/// the process's, and the other deliveries land.
@Suite("serve: the inbox worker under faults")
struct InboxFaultTests {
    @Test("a 500 on one booking's tickets fails that delivery alone: the others land, its row gets attempts + 1 and a later next attempt, and it lands once the API answers")
    func childFetchFailure() async throws {
        try await ServerHarness.with { harness in
            let ids = Array(harness.simulator.ids(.bookings).prefix(4))
            harness.simulator.failRequests(matching: "/v1/bookings/\(ids[0])/tickets", status: 500)
            for id in ids { try await harness.deliver("v1.booking.updated", key: "booking_id", id: id) }
            let others = ids.dropFirst().map { "'\($0)'" }.joined(separator: ",")
            #expect(try await eventually { try await harness.count("bookings", where: "id IN (\(others))") == 3 })
            #expect(try await eventually { try await harness.count("webhook_inbox", where: "resource_id = '\(ids[0])' AND attempts >= 1") == 1 })
            let row = try await harness.query(
                "SELECT status, last_error, next_attempt_at > now() AS later FROM understory.webhook_inbox WHERE resource_id = $1", [ids[0]]
            ).rows[0]
            #expect(try row["status"].decode(String.self) == "pending")
            #expect(try row["later"].decode(Bool.self))
            let error = try row["last_error"].decode(String.self)
            #expect(!error.isEmpty && error.count <= 300 && !error.contains("\n"), "\(error)")
            #expect(try await harness.count("bookings", where: "id = '\(ids[0])'") == 0)
            harness.simulator.clearPathFaults()
            #expect(try await eventually { try await harness.count("webhook_inbox", where: "status = 'processed'") == 4 })
            #expect(try await harness.count("bookings", where: "id = '\(ids[0])'") == 1)
            let tickets = harness.simulator.bookingTickets(bookingID: ids[0])?.count ?? 0
            #expect(tickets > 0)
            #expect(try await harness.count("booking_tickets", where: "booking_id = '\(ids[0])'") == tickets)
        }
    }

    @Test(
        "an item PostgreSQL refuses (a value in a field the model does not read) is quarantined in rejected_items, the others land, it is not fetched in a tight loop, and it is resolved once it heals",
        arguments: [#""\ud800""#, "1e1000000"]
    )
    func refusedValue(value: String) async throws {
        try await ServerHarness.with { harness in
            let ids = Array(harness.simulator.ids(.bookings).prefix(4))
            let bad = ids[0]
            #expect(harness.simulator.setFields(.bookings, id: bad, [(key: "inbox_probe", json: value)]))
            for id in ids { try await harness.deliver("v1.booking.updated", key: "booking_id", id: id) }
            let others = ids.dropFirst().map { "'\($0)'" }.joined(separator: ",")
            #expect(try await eventually { try await harness.count("bookings", where: "id IN (\(others))") == 3 })
            #expect(try await eventually {
                try await harness.count("rejected_items", where: "item_id = '\(bad)' AND resource = 'bookings' AND resolved_at IS NULL") == 1
            })
            #expect(try await eventually { try await harness.count("webhook_inbox", where: "resource_id = '\(bad)' AND attempts >= 1") == 1 })
            // Each attempt fetches the item once; a failed row waits for its back-off.
            let fetches = harness.simulator.requestCounts()["/v1/bookings/\(bad)"]?.values.reduce(0, +) ?? 0
            let attempts = try await harness.query("SELECT attempts FROM understory.webhook_inbox WHERE resource_id = $1", [bad]).rows[0]["attempts"]
                .decode(Int.self)
            #expect(fetches <= attempts + 1, "fetched \(fetches) times in \(attempts) attempts")
            #expect(try await harness.count("bookings", where: "id = '\(bad)'") == 0)
            // Healed: the next attempt stores it and resolves the quarantine, as a sync would.
            #expect(harness.simulator.setFields(.bookings, id: bad, [(key: "inbox_probe", json: #""fine""#)]))
            #expect(try await eventually { try await harness.count("bookings", where: "id = '\(bad)'") == 1 })
            #expect(try await eventually { try await harness.count("rejected_items", where: "item_id = '\(bad)' AND resolved_at IS NOT NULL") == 1 })
            #expect(try await eventually { try await harness.count("webhook_inbox", where: "status = 'processed'") == 4 })
        }
    }

    @Test("after every PostgreSQL session of serve is terminated, a later delivery lands and /healthz answers 200")
    func reconnects() async throws {
        try await ServerHarness.with { harness in
            let ids = harness.simulator.ids(.bookings)
            try await harness.deliver("v1.booking.updated", key: "booking_id", id: ids[0])
            #expect(try await eventually { try await harness.count("bookings", where: "id = '\(ids[0])'") == 1 })
            let terminated = try await harness.query(
                "SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).rows[0]["n"].decode(Int.self)
            #expect(terminated >= 2, "the worker's and the receiver's sessions")
            try await harness.deliver("v1.booking.updated", key: "booking_id", id: ids[1])
            #expect(try await eventually { try await harness.count("bookings", where: "id = '\(ids[1])'") == 1 })
            #expect(try await harness.healthzBecomes(200))
        }
    }

    @Test("/healthz answers 503 while the worker is stuck in a round longer than the bound, and 200 again once rounds finish")
    func healthzReportsStuckWorker() async throws {
        var options = InboxWorker.Options()
        options.stallLimit = .milliseconds(300)
        try await ServerHarness.with(workerOptions: options) { harness in
            #expect(try await harness.healthzBecomes(200))
            harness.simulator.holdAPIRequests(pathPrefix: "/v1/bookings")
            try await harness.deliver("v1.booking.updated", key: "booking_id", id: harness.simulator.ids(.bookings)[0])
            let stuck = try await harness.healthzBecomes(503)
            harness.simulator.releaseAPIRequests()
            #expect(stuck)
            #expect(try await harness.healthzBecomes(200))
            #expect(try await eventually { try await harness.count("webhook_inbox", where: "status = 'processed'") == 1 })
        }
    }

    @Test("a booking whose GET answers 404 just after v1.booking.created is checked again later and stored, not taken for deleted")
    func notFoundAfterCreation() async throws {
        var options = InboxWorker.Options()
        options.deletionConfirmation = .seconds(3)
        // The simulator's time stands still until moved: the 404 window stays open however slowly the
        // delivery and the first GET come, and closes when the test says so.
        let clock = VirtualClock()
        var account = ServerHarness.smallAccount()
        account.clock = clock
        try await ServerHarness.with(account: account, workerOptions: options) { harness in
            harness.simulator.updateFaults { $0.notFoundAfterCreation = .seconds(2) }
            let created = harness.simulator.mutate(updates: 0, creates: 1, cancels: 0, resources: [.bookings]).created[.bookings]?.first
            let id = try #require(created)
            // Delivered by the test, not the simulator's sender, whose retries would run on the stilled clock.
            try await harness.deliver("v1.booking.created", key: "booking_id", id: id)
            let notFound = try await eventually { (harness.simulator.requestCounts()["/v1/bookings/\(id)"]?[404] ?? 0) >= 1 }
            #expect(notFound, "the first GET should have met the 404 window")
            clock.advance(by: .seconds(2))
            #expect(try await eventually { try await harness.count("bookings", where: "id = '\(id)' AND _deleted_at IS NULL") == 1 })
            #expect(try await eventually { try await harness.count("webhook_inbox", where: "status <> 'processed'") == 0 })
        }
    }

    @Test("a deletion message marks the item deleted only after a 404 at least the confirmation delay later; one for an item the API still serves deletes nothing")
    func deletionConfirmed() async throws {
        var options = InboxWorker.Options()
        options.deletionConfirmation = .seconds(1)
        try await ServerHarness.with(workerOptions: options) { harness in
            _ = try await SyncRunner(database: harness.database, client: harness.client, logger: harness.logger).sync(ServerHarness.syncOptions())
            let events = harness.simulator.ids(.events)
            let (gone, live) = (events[0], events[1])
            #expect(harness.simulator.delete(.events, id: gone))
            try await harness.deliver("v1.event.deleted", key: "event_id", id: gone)
            try await harness.deliver("v1.event.deleted", key: "event_id", id: live)
            #expect(try await eventually { try await harness.count("webhook_inbox", where: "status = 'processed'") == 2 })
            #expect(try await harness.count("events", where: "_deleted_at IS NOT NULL") == 1)
            #expect(try await harness.count("events", where: "_deleted_at IS NOT NULL AND id = '\(gone)'") == 1)
            #expect(try await harness.count("webhook_inbox", where: "resource_id = '\(gone)' AND gone_since IS NOT NULL AND attempts = 0") == 1)
            #expect(try await harness.count("event_sessions", where: "event_id = '\(gone)'") == 0)
            #expect(try await harness.count("event_sessions", where: "event_id = '\(live)'") > 0)
        }
    }

    @Test("a deletion message waits for its confirmation: until then the row is pending and the item untouched")
    func deletionWaits() async throws {
        var options = InboxWorker.Options()
        options.deletionConfirmation = .seconds(3600)
        try await ServerHarness.with(workerOptions: options) { harness in
            _ = try await SyncRunner(database: harness.database, client: harness.client, logger: harness.logger).sync(ServerHarness.syncOptions())
            let id = harness.simulator.ids(.events)[0]
            #expect(harness.simulator.delete(.events, id: id))
            try await harness.deliver("v1.event.deleted", key: "event_id", id: id)
            #expect(try await eventually {
                try await harness.count("webhook_inbox", where: "status = 'pending' AND gone_since IS NOT NULL AND next_attempt_at > now() + interval '3000 seconds'") == 1
            })
            #expect(try await harness.count("events", where: "_deleted_at IS NOT NULL") == 0)
        }
    }

    @Test("two workers on one inbox process each row once and count a failed attempt once")
    func twoWorkers() async throws {
        try await ServerHarness.with(holdProcessing: true) { harness in
            let ids = Array(harness.simulator.ids(.bookings).prefix(30))
            harness.simulator.failRequests(matching: "/v1/bookings/\(ids[0])/tickets", status: 500)
            for id in ids { try await harness.deliver("v1.booking.updated", key: "booking_id", id: id) }
            let outcomes = OutcomeTally()
            var options = InboxWorker.Options()
            options.batchSize = 4
            let client = harness.client
            func worker() -> InboxWorker {
                InboxWorker(database: harness.database, options: options, logger: harness.logger, onOutcome: { outcome in
                    let key: String
                    switch outcome {
                    case .processed: key = "processed"
                    case .failed: key = "failed"
                    case .parked: key = "parked"
                    }
                    outcomes.add(key)
                }) { _ in client }
            }
            let (first, second) = (worker(), worker())
            async let a = first.drain()
            async let b = second.drain()
            let handled = try await a + b
            #expect(handled == 30)
            #expect(outcomes.counts == ["processed": 29, "failed": 1])
            #expect(try await harness.count("webhook_inbox", where: "status = 'processed'") == 29)
            #expect(try await harness.count("webhook_inbox", where: "resource_id = '\(ids[0])' AND attempts = 1 AND status = 'pending'") == 1)
            let counts = harness.simulator.requestCounts()
            let twice = ids.filter { (counts["/v1/bookings/\($0)"]?.values.reduce(0, +) ?? 0) != 1 }
            #expect(twice.isEmpty, "fetched other than once: \(twice)")
        }
    }

    @Test("due times are the database's: a worker whose clock is 10 minutes behind still processes what is due")
    func databaseTime() async throws {
        try await ServerHarness.with(holdProcessing: true) { harness in
            let ids = Array(harness.simulator.ids(.bookings).prefix(3))
            for id in ids { try await harness.deliver("v1.booking.updated", key: "booking_id", id: id) }
            let behind = VirtualClock(wall: Date().addingTimeInterval(-600))
            let client = harness.client
            let worker = InboxWorker(database: harness.database, clock: behind, logger: harness.logger) { _ in client }
            #expect(try await worker.drain() == 3)
            #expect(try await harness.count("webhook_inbox", where: "status = 'processed'") == 3)
        }
    }
}

extension ServerHarness {
    /// Posts a correctly signed message about one item (a fresh `webhook-id`), retrying while
    /// `serve` answers other than 204 (as Understory's sender does), e.g. just after PostgreSQL went away.
    func deliver(_ type: String, key: String, id: String) async throws {
        let body = ServerHarness.message(type: type, key: key, id: id)
        let webhookID = "msg_" + UUID().uuidString.lowercased()
        for _ in 0..<20 {
            if try await post(body, headers: try signedHeaders(id: webhookID, body: body)) == 204 { return }
        }
        throw TestFailure("serve never accepted the delivery")
    }

    func healthz() async throws -> Int {
        let response = try await http.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/healthz"), timeout: .seconds(120))
        _ = try await response.body.collect(upTo: 1 << 16)
        return Int(response.status.code)
    }

    /// Whether `/healthz` comes to answer `status` (a bound, not a measurement).
    func healthzBecomes(_ status: Int) async throws -> Bool {
        try await eventually { try await healthz() == status }
    }
}

/// Worker outcomes counted by kind, shared with the workers' callbacks.
final class OutcomeTally: Sendable {
    private let tally = Mutex<[String: Int]>([:])
    var counts: [String: Int] { tally.withLock { $0 } }
    func add(_ key: String) { tally.withLock { $0[key, default: 0] += 1 } }
}
