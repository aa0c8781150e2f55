import Foundation
import PostgresClient
import SyncEngine
import SyncTestSupport
import Testing
import UnderstoryAPI
import UnderstorySimulator

@Suite("checkout questions and answers: fetched per new or changed experience and booking, replaced with it")
struct InformationAnswersTests {
    @Test("a first sync stores every experience's questions and every booking's answers exactly as the simulator serves them")
    func firstSyncEqualsSimulator() async throws {
        try await SyncHarness.with { harness in
            var options = SyncHarness.options()
            options.resources = [.experiences, .bookings]
            let summary = try await harness.runner.sync(options)
            #expect(summary.succeeded, "\(summary.failures)")
            #expect(try await Self.differences(harness).isEmpty)
            #expect(try await harness.count("booking_information_answers") > 0)
            #expect(try await harness.count("experience_information_requests") > 0)
            // Tickets and ticket variants still come along with their parents.
            #expect(try await harness.count("booking_tickets") > 0)
            #expect(try await harness.count("experience_ticket_variants") > 0)
            let bookings = harness.simulator.truth().bookings.count
            #expect(harness.simulator.requestCounts().keys.filter { $0.hasSuffix("/information-request-answers") }.count == bookings)
            // The typed answer is the raw one's text, whatever its JSON type.
            #expect(try await harness.count("booking_information_answers", where: "answer IS DISTINCT FROM raw ->> 'answer'") == 0)
        }
    }

    @Test("changed bookings get their answers asked for again and replaced with them; unchanged ones are not asked for")
    func changedBookingReplacesAnswers() async throws {
        try await SyncHarness.with { harness in
            var options = SyncHarness.options()
            options.resources = [.experiences, .bookings]
            _ = try await harness.runner.sync(options)
            let mutation = harness.simulator.mutate(updates: 5, creates: 2, cancels: 0, resources: [.bookings])
            let changed = Set((mutation.updated[.bookings] ?? []) + (mutation.created[.bookings] ?? []))
            #expect(!changed.isEmpty)
            harness.simulator.resetRequestCounts()
            let summary = try await harness.runner.sync(options)
            #expect(summary.succeeded, "\(summary.failures)")
            let requested = Set(harness.simulator.requestCounts().keys.filter { $0.hasSuffix("/information-request-answers") })
            #expect(requested == Set(changed.map { "/v1/bookings/\($0)/information-request-answers" }))
            #expect(try await Self.differences(harness).isEmpty)
        }
    }

    @Test("with --skip-resource information-answers no answer is asked for or stored; questions, tickets and bookings still are")
    func skipAnswers() async throws {
        try await SyncHarness.with { harness in
            var options = SyncHarness.options()
            options.resources = [.experiences, .bookings]
            options.skipped.insert("information-answers")
            let summary = try await harness.runner.sync(options)
            #expect(summary.succeeded, "\(summary.failures)")
            #expect(harness.simulator.requestCounts().keys.filter { $0.hasSuffix("/information-request-answers") }.isEmpty)
            #expect(try await harness.count("booking_information_answers") == 0)
            #expect(try await harness.count("experience_information_requests") > 0)
            #expect(try await harness.count("booking_tickets") > 0)
            #expect(try await harness.count("bookings") > 0)
        }
    }

    @Test("reconcile finds answers and questions changed without their parent, and rows edited in the table, and replaces them")
    func reconcileRepairs() async throws {
        try await SyncHarness.with { harness in
            var options = SyncHarness.options()
            options.resources = [.experiences, .bookings]
            _ = try await harness.runner.sync(options)
            let booking = try #require(harness.simulator.ids(.bookings).first)
            let experience = try #require(harness.simulator.ids(.experiences).first)
            #expect(harness.simulator.changeChildren(.bookings, id: booking))
            #expect(harness.simulator.changeChildren(.experiences, id: experience))
            let edited = try #require(harness.simulator.ids(.bookings).dropFirst().first {
                !(harness.simulator.bookingInformationAnswers(bookingID: $0) ?? []).isEmpty
            })
            try await harness.query("DELETE FROM understory.booking_information_answers WHERE booking_id = $1", [edited])
            let report = try await harness.runner.reconcile(options)
            #expect(report.succeeded, "\(report.failures)")
            #expect((report.counts[.bookings]?.childrenFixed ?? 0) >= 1)
            #expect((report.counts[.experiences]?.childrenFixed ?? 0) >= 1)
            #expect(try await Self.differences(harness).isEmpty)
        }
    }

    @Test("common_answers.sql counts every answer to a known question once")
    func commonAnswersExample() async throws {
        try await SyncHarness.with { harness in
            var options = SyncHarness.options()
            options.resources = [.experiences, .bookings]
            _ = try await harness.runner.sync(options)
            let file = CitusLayoutTests.root.appendingPathComponent("sql/examples/common_answers.sql")
            let example = try String(contentsOf: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines).dropLast()
            let total = try await harness.query("SELECT sum(bookings)::int AS n, count(*) FILTER (WHERE rank = 1)::int AS top FROM (\(example)\n) AS q").rows[0]
            let answers = try await harness.count("booking_information_answers")
            #expect(try total["n"].decode(Int.self) == answers)
            #expect(try total["top"].decode(Int.self) > 0)
        }
    }

    /// Rows missing, extra or different against what the simulator serves now (raw compared as jsonb).
    static func differences(_ harness: SyncHarness) async throws -> [String] {
        var requests: [(String, String)] = [], answers: [(String, String)] = []
        for id in harness.simulator.truth().experiences.keys {
            for json in harness.simulator.experienceInformationRequests(experienceID: id) ?? [] { requests.append((id, json)) }
        }
        for id in harness.simulator.truth().bookings.keys {
            for json in harness.simulator.bookingInformationAnswers(bookingID: id) ?? [] { answers.append((id, json)) }
        }
        let companyID = harness.simulator.configuration.companyID
        let questions = try await TruthCheck.childDifferences(
            database: harness.database, companyID: companyID, expected: requests, table: "experience_information_requests", parentColumn: "experience_id"
        )
        return questions + (try await TruthCheck.childDifferences(
            database: harness.database, companyID: companyID, expected: answers, table: "booking_information_answers", parentColumn: "booking_id"
        ))
    }
}
