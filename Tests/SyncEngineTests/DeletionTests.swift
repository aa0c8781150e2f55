import Foundation
import PostgresClient
import SyncEngine
import Testing
import UnderstoryAPI
import UnderstorySimulator

@Suite("deletions land: unlisted rows are confirmed by their single GET")
struct DeletionTests {
    static func options(_ resources: [Resource]) -> SyncOptions {
        var options = SyncHarness.options()
        options.resources = resources
        return options
    }

    /// Sessions stored for `eventID` and how many its raw JSON holds.
    static func sessions(_ harness: SyncHarness, _ eventID: String) async throws -> (stored: Int, expected: Int) {
        let row = try await harness.query(
            """
            SELECT (SELECT count(*) FROM understory.event_sessions WHERE event_id = $1) AS stored,
                   (SELECT jsonb_array_length(raw -> 'sessions') FROM understory.events WHERE id = $1) AS expected
            """,
            [eventID]
        ).rows[0]
        return (try row["stored"].decode(Int.self), try row["expected"].decode(Int.self))
    }

    @Test("an event deleted at the API gets _deleted_at after a sync and loses its sessions; marked again by mistake, the next sync clears it")
    func eventDeleted() async throws {
        try await SyncHarness.with { harness in
            let options = Self.options([.events])
            _ = try await harness.runner.sync(options)
            let ids = harness.simulator.ids(.events)
            let (gone, live) = (ids[5], ids[9])
            #expect(harness.simulator.delete(.events, id: gone))
            harness.simulator.resetRequestCounts()
            let summary = try await harness.runner.sync(options)
            #expect(summary.succeeded, "\(summary.failures)")
            #expect(summary.counts[.events]?.deleted == 1)
            // Exactly one single GET: the one event the window no longer lists.
            #expect(harness.simulator.requestCount(pathPrefix: "/v1/events/") == 1)
            #expect(try await harness.count("events", where: "_deleted_at IS NOT NULL") == 1)
            #expect(try await harness.count("events", where: "id = '\(gone)' AND _deleted_at IS NOT NULL") == 1)
            #expect(try await Self.sessions(harness, gone).stored == 0)
            try await harness.expectEqualToTruth([.events])

            // A row that comes back (here: marked by hand, sessions gone) is live again after the next sync.
            try await harness.query("UPDATE understory.events SET _deleted_at = now() WHERE id = $1", [live])
            try await harness.query("DELETE FROM understory.event_sessions WHERE event_id = $1", [live])
            let again = try await harness.runner.sync(options)
            #expect(again.succeeded, "\(again.failures)")
            #expect(again.counts[.events]?.deleted == 0)
            #expect(try await harness.count("events", where: "id = '\(live)' AND _deleted_at IS NULL") == 1)
            let sessions = try await Self.sessions(harness, live)
            #expect(sessions.stored == sessions.expected && sessions.stored > 0)
            #expect(try await harness.count("events", where: "_deleted_at IS NOT NULL") == 1)
            try await harness.expectEqualToTruth([.events])
        }
    }

    @Test("an event that left the window keeps living: its GET answers 200 and the new version is stored")
    func eventMovedOutOfWindow() async throws {
        try await SyncHarness.with { harness in
            let options = Self.options([.events])
            _ = try await harness.runner.sync(options)
            let moved = harness.simulator.ids(.events)[3]
            harness.simulator.updateFaults { $0.listsSkip = [moved] }
            harness.simulator.touch(.events, id: moved)
            let summary = try await harness.runner.sync(options)
            #expect(summary.succeeded, "\(summary.failures)")
            #expect(summary.counts[.events]?.deleted == 0)
            #expect(summary.counts[.events]?.updated == 1)
            #expect(try await harness.count("events", where: "_deleted_at IS NOT NULL") == 0)
            try await harness.expectEqualToTruth([.events])
        }
    }

    @Test("a traversal that restarted after a rejected cursor deletes nothing; the next complete one does")
    func restartedTraversalDeletesNothing() async throws {
        try await SyncHarness.with { harness in
            var options = Self.options([.events])
            options.eventsPageSize = 10
            _ = try await harness.runner.sync(options)
            let gone = harness.simulator.ids(.events)[20]
            #expect(harness.simulator.delete(.events, id: gone))
            // The first cursor presented is refused as expired, then cursors live again.
            harness.simulator.updateFaults { $0.expireNextCursors = 1 }
            let restarted = try await harness.runner.sync(options)
            #expect(harness.simulator.requestCount(pathPrefix: "/v1/events", status: 400) == 1)
            #expect(restarted.succeeded, "\(restarted.failures)")
            #expect((restarted.counts[.events]?.restarts ?? 0) >= 1)
            #expect(restarted.counts[.events]?.deleted == 0)
            #expect(try await harness.count("events", where: "_deleted_at IS NOT NULL") == 0)
            harness.simulator.setFaults(SimulatorFaults())
            let clean = try await harness.runner.sync(options)
            #expect(clean.counts[.events]?.deleted == 1)
            try await harness.expectEqualToTruth([.events])
        }
    }

    @Test("a dry run checks nothing by id and marks nothing")
    func dryRunDeletesNothing() async throws {
        try await SyncHarness.with { harness in
            let options = Self.options([.events, .experiences])
            _ = try await harness.runner.sync(options)
            #expect(harness.simulator.delete(.events, id: harness.simulator.ids(.events)[2]))
            #expect(harness.simulator.delete(.experiences, id: harness.simulator.ids(.experiences)[2]))
            var dry = options
            dry.dryRun = true
            harness.simulator.resetRequestCounts()
            _ = try await harness.runner.sync(dry)
            #expect(harness.simulator.requestCount(pathPrefix: "/v1/events/") == 0)
            #expect(try await harness.count("events", where: "_deleted_at IS NOT NULL") == 0)
            #expect(try await harness.count("experiences", where: "_deleted_at IS NOT NULL") == 0)
        }
    }

    @Test("an experience the list leaves out but whose GET answers 200 is never marked deleted; a 404 marks it")
    func experienceMissingButLive() async throws {
        try await SyncHarness.with { harness in
            let options = Self.options([.experiences])
            _ = try await harness.runner.sync(options)
            let ids = harness.simulator.ids(.experiences)
            let (hidden, gone) = (ids[1], ids[4])
            harness.simulator.updateFaults { $0.listsSkip = [hidden] }
            #expect(harness.simulator.delete(.experiences, id: gone))
            let summary = try await harness.runner.sync(options)
            #expect(summary.succeeded, "\(summary.failures)")
            #expect(summary.counts[.experiences]?.deleted == 1)
            #expect(try await harness.count("experiences", where: "id = '\(hidden)' AND _deleted_at IS NULL") == 1)
            #expect(try await harness.count("experiences", where: "id = '\(gone)' AND _deleted_at IS NOT NULL") == 1)
            try await harness.expectEqualToTruth([.experiences])
        }
    }
}
