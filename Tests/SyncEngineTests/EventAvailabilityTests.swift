import Foundation
import PostgresClient
import SyncEngine
import SyncTestSupport
import Testing
import UnderstoryAPI
import UnderstorySimulator

@Suite("event availability: current rows per event and a history row per change")
struct EventAvailabilityTests {
    static func syncAvailability(_ harness: SyncHarness, _ options: SyncOptions = SyncHarness.options()) async throws -> SyncRunner.Summary {
        var only = options
        only.resources = [.availability]
        return try await harness.runner.sync(only)
    }

    @Test("a first sync of everything stores every event's availability exactly as the simulator serves it, and one history row per event")
    func firstSyncEqualsSimulator() async throws {
        try await SyncHarness.with { harness in
            let summary = try await harness.runner.sync(SyncHarness.options())
            #expect(summary.succeeded, "\(summary.failures)")
            let stored = try await Self.stored(harness)
            #expect(!stored.isEmpty)
            let truth = try await Self.truth(harness)
            #expect(stored == truth)
            #expect(try await harness.count("event_availability_history") == stored.count)
            #expect(stored.values.contains { $0.available } && stored.values.contains { !$0.available })
            let experiences = harness.simulator.truth().experiences.count
            #expect(harness.simulator.requestCount(pathPrefix: "/v1/event-availabilities", status: 200) >= experiences)
            // Typed columns agree with the raw item.
            let typed = try await harness.query(
                """
                SELECT count(*)::int AS n FROM understory.event_availabilities
                WHERE constraints = raw -> 'constraints' AND available = (raw ->> 'available')::boolean
                  AND constraint_types = ARRAY['EVENT_STATE', 'SEAT_CAPACITY', 'BOOKING_CUTOFF']
                  AND booking_cutoff_at = (raw -> 'constraints' -> 2 ->> 'cutoff_time')::timestamptz
                """
            ).rows[0]["n"].decode(Int.self)
            #expect(typed == stored.count)
        }
    }

    @Test("the same answer again writes no history; a change writes exactly one row, in the transaction of the current row")
    func historyOnlyOnChange() async throws {
        try await SyncHarness.with { harness in
            _ = try await Self.syncAvailability(harness)
            let history = try await harness.count("event_availability_history")
            let again = try await Self.syncAvailability(harness)
            #expect(again.succeeded, "\(again.failures)")
            #expect(again.counts[.availability]?.inserted == 0 && again.counts[.availability]?.updated == 0)
            #expect(try await harness.count("event_availability_history") == history)

            // An ACTIVE, bookable event is cancelled at the API: it turns unavailable.
            let eventID = try #require(try await harness.query(
                "SELECT event_id FROM understory.event_availabilities WHERE available ORDER BY event_id LIMIT 1"
            ).rows.first?["event_id"].decode(String.self))
            #expect(harness.simulator.cancel(.events, id: eventID))
            let changed = try await Self.syncAvailability(harness)
            #expect(changed.succeeded, "\(changed.failures)")
            #expect(changed.counts[.availability]?.updated == 1)
            #expect(try await harness.count("event_availability_history") == history + 1)
            let rows = try await harness.query(
                "SELECT available, observed_at = max(observed_at) OVER () AS latest, _run_id FROM understory.event_availability_history WHERE event_id = $1 ORDER BY observed_at",
                [eventID]
            ).rows
            #expect(try rows.map { try $0["available"].decode(Bool.self) } == [true, false])
            let current = try await harness.query("SELECT available, _run_id FROM understory.event_availabilities WHERE event_id = $1", [eventID]).rows[0]
            #expect(try current["available"].decode(Bool.self) == false)
            #expect(try current["_run_id"].decode(Int64.self) == rows[1]["_run_id"].decode(Int64.self))
            #expect(try await Self.matchesTruth(harness))
        }
    }

    @Test("an event that leaves the window, an experience deleted, and one that answers 404 are no change: rows stay, no history is written")
    func leavingIsNoChange() async throws {
        try await SyncHarness.with { harness in
            _ = try await Self.syncAvailability(harness)
            let before = try await Self.stored(harness)
            let history = try await harness.count("event_availability_history")
            let gone = try #require(before.values.map(\.experienceID).sorted().first)
            #expect(harness.simulator.delete(.experiences, id: gone))
            // A window of today only: most events are no longer listed.
            var narrow = SyncHarness.options()
            narrow.eventsPastDays = 0
            narrow.eventsFutureDays = 0
            let summary = try await Self.syncAvailability(harness, narrow)
            #expect(summary.succeeded && summary.firstError == nil, "\(summary.failures)")
            #expect(summary.counts[.availability]?.records ?? -1 < before.count)
            #expect(try await Self.stored(harness) == before)
            #expect(try await harness.count("event_availability_history") == history)

            // Experiences deleted between their list and their availability answer 404: nothing changes,
            // even for an event that did change meanwhile.
            let cancelled = try #require(before.first { $0.value.available && $0.value.experienceID != gone }?.key)
            #expect(harness.simulator.cancel(.events, id: cancelled))
            harness.simulator.failRequests(matching: "/v1/event-availabilities", status: 404)
            let notFound = try await Self.syncAvailability(harness)
            #expect(notFound.succeeded && notFound.firstError == nil, "\(notFound.failures)")
            #expect(harness.simulator.requestCount(pathPrefix: "/v1/event-availabilities", status: 404) == harness.simulator.truth().experiences.count)
            #expect(try await Self.stored(harness) == before)
            #expect(try await harness.count("event_availability_history") == history)
        }
    }

    @Test("a malformed availability is rejected, not fatal: the rest load, and it is resolved once it is well-formed again")
    func malformedItemIsRejected() async throws {
        try await SyncHarness.with { harness in
            let eventID = try #require(harness.simulator.truth().events.keys.sorted().first)
            #expect(harness.simulator.setEventAvailability(eventID: eventID, json: #"{"event_id":"\#(eventID)","available":"yes","constraints":[]}"#))
            let summary = try await Self.syncAvailability(harness)
            #expect(summary.succeeded, "\(summary.failures)")
            #expect((summary.firstError as? SyncError)?.code == .itemsRejected)
            #expect(summary.counts[.availability]?.rejected == 1)
            let rejected = try await harness.query(
                "SELECT reason FROM understory.rejected_items WHERE resource = 'availability' AND item_id = $1 AND resolved_at IS NULL", [eventID]
            ).rows
            #expect(rejected.count == 1)
            #expect(rejected.first?["reason"].string?.contains("available") == true, "\(rejected.first?["reason"].string ?? "")")
            var truth = try await Self.truth(harness)
            truth[eventID] = nil
            #expect(try await Self.stored(harness) == truth)

            #expect(harness.simulator.setEventAvailability(eventID: eventID, json: nil))
            let fixed = try await Self.syncAvailability(harness)
            #expect(fixed.succeeded && fixed.firstError == nil, "\(fixed.failures)")
            #expect(fixed.counts[.availability]?.resolved == 1)
            #expect(try await Self.matchesTruth(harness))
        }
    }

    @Test("a cutoff in the future is stored as sent; observed_at is the database's clock, later than a previous row even one stamped ahead; the same answer reformatted is no change")
    func timestamps() async throws {
        try await SyncHarness.with { harness in
            _ = try await Self.syncAvailability(harness)
            let (eventID, served) = try #require(try await Self.truth(harness).first { $0.value.available }.map { ($0.key, $0.value) })
            // The same availability, keys reordered and spaced: not a change.
            let item = try #require(try JSONSerialization.jsonObject(with: Data(served.raw.utf8)) as? [String: Any])
            let spaced = String(decoding: try JSONSerialization.data(withJSONObject: item, options: [.prettyPrinted, .sortedKeys]), as: UTF8.self)
            #expect(harness.simulator.setEventAvailability(eventID: eventID, json: spaced))
            let history = try await harness.count("event_availability_history")
            let same = try await Self.syncAvailability(harness)
            #expect(same.counts[.availability]?.updated == 0)
            #expect(try await harness.count("event_availability_history") == history)

            // A previous row stamped a day ahead (a clock that stepped back since), then a cutoff far in the future.
            try await harness.query("UPDATE understory.event_availability_history SET observed_at = now() + interval '1 day' WHERE event_id = $1", [eventID])
            let future = #"{"event_id":"\#(eventID)","available":false,"constraints":[{"type":"BOOKING_CUTOFF","cutoff_time":"2999-01-01T00:00:00Z","passed":false}]}"#
            #expect(harness.simulator.setEventAvailability(eventID: eventID, json: future))
            let changed = try await Self.syncAvailability(harness)
            #expect(changed.succeeded && changed.firstError == nil, "\(changed.failures)")
            let rows = try await harness.query(
                """
                SELECT h.observed_at > now() AS after_ahead, a.booking_cutoff_at = '2999-01-01T00:00:00Z' AS cutoff,
                       a.constraint_types = ARRAY['BOOKING_CUTOFF'] AS types, h.available
                FROM understory.event_availability_history h JOIN understory.event_availabilities a USING (company_id, event_id)
                WHERE h.event_id = $1 ORDER BY h.observed_at DESC LIMIT 1
                """,
                [eventID]
            ).rows
            // The latest row is the new one (unavailable), stamped after the one ahead rather than at now().
            #expect(try rows[0]["available"].decode(Bool.self) == false)
            #expect(try rows[0]["after_ahead"].decode(Bool.self))
            #expect(try rows[0]["cutoff"].decode(Bool.self))
            #expect(try rows[0]["types"].decode(Bool.self))
            #expect(try await harness.count("event_availability_history") == history + 1)
        }
    }

    @Test("an experience's availability spans pages; a cursor that expires between them restarts that experience's list, and the result is the same")
    func pagesAndCursorLoss() async throws {
        try await SyncHarness.with { harness in
            harness.simulator.updateFaults { $0.expireNextCursors = 1 }
            var options = SyncHarness.options()
            options.pageSize = 3
            let summary = try await Self.syncAvailability(harness, options)
            #expect(summary.succeeded && summary.firstError == nil, "\(summary.failures)")
            #expect(summary.counts[.availability]?.restarts == 1)
            #expect((summary.counts[.availability]?.pages ?? 0) > harness.simulator.truth().experiences.count)
            #expect(try await Self.matchesTruth(harness))
            #expect(try await harness.count("event_availability_history") == harness.count("event_availabilities"))
        }
    }

    @Test("reconcile puts back an edited row (the API wins) without a history row; availability_over_time.sql counts every stored event")
    func reconcileAndExample() async throws {
        try await SyncHarness.with { harness in
            _ = try await Self.syncAvailability(harness)
            let history = try await harness.count("event_availability_history")
            try await harness.query("UPDATE understory.event_availabilities SET available = NOT available WHERE event_id = (SELECT min(event_id) FROM understory.event_availabilities)")
            var options = SyncHarness.options()
            options.resources = [.availability]
            let report = try await harness.runner.reconcile(options)
            #expect(report.succeeded, "\(report.failures)")
            #expect(report.counts[.availability]?.stale == 1 && report.counts[.availability]?.missing == 0)
            #expect(try await Self.matchesTruth(harness))
            #expect(try await harness.count("event_availability_history") == history)

            let file = CitusLayoutTests.root.appendingPathComponent("sql/examples/availability_over_time.sql")
            let example = try String(contentsOf: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines).dropLast()
            let totals = try await harness.query(
                "SELECT sum(bookable_events)::int AS b, sum(unbookable_events)::int AS u FROM (\(example)\n) AS q"
            ).rows[0]
            let stored = try await Self.stored(harness)
            #expect(try totals["b"].decode(Int.self) == stored.values.count(where: \.available))
            #expect(try totals["u"].decode(Int.self) == stored.values.count(where: { !$0.available }))
        }
    }

    static func matchesTruth(_ harness: SyncHarness) async throws -> Bool {
        let stored = try await stored(harness), truth = try await truth(harness)
        return stored == truth
    }

    struct Availability: Hashable {
        let experienceID: String
        let available: Bool
        let raw: String
    }

    /// Stored availability by event id (raw normalised by jsonb).
    static func stored(_ harness: SyncHarness) async throws -> [String: Availability] {
        let rows = try await harness.query("SELECT event_id, experience_id, available, raw::text AS raw FROM understory.event_availabilities").rows
        return Dictionary(uniqueKeysWithValues: try rows.map { row in
            (try row["event_id"].decode(String.self), Availability(
                experienceID: try row["experience_id"].decode(String.self), available: try row["available"].decode(Bool.self),
                raw: try row["raw"].decode(String.self)
            ))
        })
    }

    /// What the simulator serves now for every experience (no window), by event id, raw normalised as jsonb.
    static func truth(_ harness: SyncHarness) async throws -> [String: Availability] {
        var items: [(eventID: String, experienceID: String, available: Bool, json: String)] = []
        for experienceID in harness.simulator.truth().experiences.keys {
            for json in harness.simulator.eventAvailabilities(experienceID: experienceID) ?? [] {
                let item = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
                items.append((try #require(item["event_id"] as? String), experienceID, item["available"] as? Bool ?? false, json))
            }
        }
        let normalised = try await harness.query(
            "SELECT t.j::jsonb::text AS raw FROM unnest($1::text[]) WITH ORDINALITY AS t(j, n) ORDER BY t.n", [PostgresTextArray(items.map(\.json))]
        ).rows.map { try $0["raw"].decode(String.self) }
        var result: [String: Availability] = [:]
        for (item, raw) in zip(items, normalised) {
            result[item.eventID] = Availability(experienceID: item.experienceID, available: item.available, raw: raw)
        }
        return result
    }
}
