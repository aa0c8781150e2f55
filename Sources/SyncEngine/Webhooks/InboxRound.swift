import Foundation
import PostgresClient
import UnderstoryAPI

/// One account's claimed inbox rows in one round. Each subject (resource and id) is fetched
/// outside any transaction, then all that can be written is written in one transaction with the
/// rows' `processed` marks. Should that transaction fail (a value PostgreSQL refuses, a child
/// fetch that fails), each subject is written again in a transaction of its own, so the one at
/// fault fails alone: its rows get `attempts + 1`, a one-line error and a next attempt by back-off,
/// and an item the database refuses (or cannot decode, or whose children cannot be stored) is
/// quarantined in `rejected_items` as `sync` quarantines it, and resolved when it stores or is
/// confirmed gone. Only an error that breaks the connection leaves here (the worker reconnects;
/// the claimed rows come due again when their lease ends).
struct InboxRound {
    let worker: InboxWorker
    let connection: PostgresConnection
    let claim: String
    let companyID: String
    let rows: [WebhookInbox.Pending]

    struct Subject: Hashable, Comparable {
        var resource: Resource
        var id: String

        static func < (a: Subject, b: Subject) -> Bool { (a.resource.rawValue, a.id) < (b.resource.rawValue, b.id) }
    }

    /// What is written in one transaction: per resource, the ids to store and to mark deleted.
    struct Writes {
        var store: [Resource: Set<String>] = [:]
        var delete: [Resource: [String]] = [:]

        var subjects: [Subject] {
            (store.flatMap { resource, ids in ids.map { Subject(resource: resource, id: $0) } }
                + delete.flatMap { resource, ids in ids.map { Subject(resource: resource, id: $0) } }).sorted()
        }

        init() {}

        init(_ subject: Subject, deleted: Bool) {
            if deleted { delete[subject.resource] = [subject.id] } else { store[subject.resource] = [subject.id] }
        }
    }

    func process() async throws {
        var subjects: [Subject: [WebhookInbox.Pending]] = [:]
        var failures: [Int64: String] = [:]
        var done: [Int64] = []  // rows naming nothing this tool syncs
        for row in rows {
            guard let name = row.resource, let id = row.resourceID else {
                done.append(row.id)
                continue
            }
            guard let resource = Resource(rawValue: name) else {
                failures[row.id] = "unknown resource \(name)"
                continue
            }
            subjects[Subject(resource: resource, id: id), default: []].append(row)
        }

        // A deletion message with no sighting of the item gone yet is the first sighting.
        var awaitingCheck: [Subject] = []
        var toFetch: [Resource: [String]] = [:]
        for (subject, rows) in subjects {
            if rows.contains(where: \.isDeletion) && !rows.contains(where: { $0.goneSince != nil }) {
                awaitingCheck.append(subject)
            } else {
                toFetch[subject.resource, default: []].append(subject.id)
            }
        }

        let (batches, context) = try await self.fetch(toFetch, subjects: subjects, failures: &failures)

        var writes = Writes()
        var quarantine: [RejectedItem] = []
        for (resource, batch) in batches {
            for (id, message) in batch.failures {
                for row in subjects[Subject(resource: resource, id: id)] ?? [] { failures[row.id] = message }
            }
            quarantine += batch.undecodable.values
            if !batch.fetched.isEmpty { writes.store[resource] = batch.fetched }
            for id in batch.gone.sorted() {
                let subject = Subject(resource: resource, id: id)
                if subjects[subject]?.contains(where: \.goneLongEnough) == true {
                    writes.delete[resource, default: []].append(id)
                } else {
                    awaitingCheck.append(subject)
                }
            }
        }

        var processed: [WebhookInbox.Pending] = []
        if let context {
            processed = try await self.write(
                writes, also: done, quarantine: quarantine, batches: batches, subjects: subjects, failures: &failures, context: context
            )
            done = []
        }
        if !done.isEmpty {
            try await WebhookInbox(connection: connection).markProcessed(done, claim: claim)
        }
        report(processed)
        let inbox = WebhookInbox(connection: connection)
        for subject in awaitingCheck.sorted() {
            try await inbox.awaitDeletionCheck((subjects[subject] ?? []).map(\.id), claim: claim, confirmAfter: worker.options.deletionConfirmation)
        }
        for row in rows {
            guard let message = failures[row.id] else { continue }
            try await recordFailure(row, message: message, on: inbox)
        }
    }

    /// Fetches the items of `toFetch` by id, per resource; without an API client every row naming
    /// them fails with why. The context is nil when nothing was fetched.
    private func fetch(
        _ toFetch: [Resource: [String]], subjects: [Subject: [WebhookInbox.Pending]], failures: inout [Int64: String]
    ) async throws -> ([Resource: InboxBatch], PlanContext?) {
        var batches: [Resource: InboxBatch] = [:]
        var context: PlanContext?
        if !toFetch.isEmpty {
            do {
                let client = try await worker.client(companyID)
                let planContext = PlanContext(
                    client: client, connection: connection, companyID: companyID, runID: -(rows.map(\.id).min() ?? 0),
                    options: worker.options.sync, logger: worker.logger, progress: nil
                )
                context = planContext
                for (resource, ids) in toFetch.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                    batches[resource] = await resource.plans.inbox(planContext, ids, worker.options.fetchConcurrency)
                }
            } catch {
                if error is CancellationError { throw error }
                for (resource, ids) in toFetch {
                    for id in ids {
                        for row in subjects[Subject(resource: resource, id: id)] ?? [] {
                            failures[row.id] = "no API client for account \(companyID): \(error)"
                        }
                    }
                }
            }
        }
        return (batches, context)
    }

    /// Commits `writes` (and marks the rows `also` processed) in one transaction; if that fails
    /// for a reason other than a broken connection, writes each item on its own, quarantining the
    /// refused ones. Returns the rows processed.
    private func write(
        _ writes: Writes, also done: [Int64], quarantine: [RejectedItem], batches: [Resource: InboxBatch],
        subjects: [Subject: [WebhookInbox.Pending]], failures: inout [Int64: String], context: PlanContext
    ) async throws -> [WebhookInbox.Pending] {
        do {
            let refused = try await commit(writes, also: done, quarantine: quarantine, batches: batches, context: context)
            return succeeded(writes, refused: refused, subjects: subjects, failures: &failures)
        } catch let error where !Self.breaksConnection(error) {
            var processed: [WebhookInbox.Pending] = []
            worker.logger.warning(
                "webhook inbox batch failed; writing its items one by one",
                metadata: ["company_id": "\(companyID)", "error": "\(Self.oneLine(error))"]
            )
            for subject in writes.subjects {
                let single = Writes(subject, deleted: writes.delete[subject.resource]?.contains(subject.id) == true)
                do {
                    let refused = try await commit(single, also: [], quarantine: [], batches: batches, context: context)
                    processed += succeeded(single, refused: refused, subjects: subjects, failures: &failures)
                } catch let error where !Self.breaksConnection(error) {
                    let message = try await quarantineRefused(subject, error: error, batches: batches)
                    for row in subjects[subject] ?? [] { failures[row.id] = message }
                }
            }
            _ = try await commit(Writes(), also: done, quarantine: quarantine, batches: batches, context: context)
            return processed
        }
    }

    /// Writes `writes`, quarantines `quarantine` and the items the write leaves out, resolves the
    /// quarantined items that stored or are gone, and marks the rows of what was written (and the
    /// rows `also`) processed — one transaction. Returns the subjects left out, with why.
    private func commit(
        _ writes: Writes, also: [Int64], quarantine: [RejectedItem], batches: [Resource: InboxBatch], context: PlanContext
    ) async throws -> [Subject: String] {
        try await connection.withTransaction { connection in
            var rejected = quarantine
            let store = RejectedItemStore(connection: connection)
            var leftOut: [Subject: String] = [:]
            for resource in Set(writes.store.keys).union(writes.delete.keys).sorted(by: { $0.rawValue < $1.rawValue }) {
                guard let batch = batches[resource] else { continue }
                let deleted = writes.delete[resource] ?? []
                let refused = try await batch.write(context, writes.store[resource] ?? [], deleted)
                rejected += refused
                for item in refused { if let id = item.itemID { leftOut[Subject(resource: resource, id: id)] = item.reason } }
                let stored = (writes.store[resource] ?? []).filter { leftOut[Subject(resource: resource, id: $0)] == nil }
                try await store.resolve(stored.sorted() + deleted, companyID: companyID, resource: resource, runID: nil)
            }
            try await store.record(rejected, companyID: companyID, runID: nil)
            let written = writes.subjects.filter { leftOut[$0] == nil }
            let rowIDs = written.flatMap { subject in rows.filter { $0.resource == subject.resource.rawValue && $0.resourceID == subject.id }.map(\.id) }
            try await WebhookInbox(connection: connection).markProcessed(rowIDs + also, claim: claim)
            return leftOut
        }
    }

    /// The rows of what was written, with the left-out subjects' rows failed (quarantined, see `rejected_items`).
    private func succeeded(
        _ writes: Writes, refused: [Subject: String], subjects: [Subject: [WebhookInbox.Pending]], failures: inout [Int64: String]
    ) -> [WebhookInbox.Pending] {
        var processed: [WebhookInbox.Pending] = []
        for subject in writes.subjects {
            if let reason = refused[subject] {
                for row in subjects[subject] ?? [] { failures[row.id] = "cannot be stored (see understory.rejected_items): \(reason)" }
            } else {
                processed += subjects[subject] ?? []
            }
        }
        return processed
    }

    /// After `subject` failed alone: an item whose value PostgreSQL refuses is quarantined (in a
    /// transaction of its own, the failed one having rolled back). Returns the rows' error.
    private func quarantineRefused(_ subject: Subject, error: any Error, batches: [Resource: InboxBatch]) async throws -> String {
        guard let refusal = error as? PostgresError, refusal.sqlState?.isDataException == true,
            let batch = batches[subject.resource], batch.fetched.contains(subject.id)
        else {
            return Self.oneLine(error)
        }
        let item = RejectedItem(
            resource: subject.resource, itemID: subject.id,
            reason: "PostgreSQL refused a value (SQLSTATE \(refusal.sqlState?.rawValue ?? "?")): \(refusal.message)", raw: batch.raw[subject.id]
        )
        try await connection.withTransaction { connection in
            try await RejectedItemStore(connection: connection).record([item], companyID: companyID, runID: nil)
        }
        worker.logger.warning(
            "item rejected: see understory.rejected_items", metadata: ["resource": "\(subject.resource)", "company_id": "\(companyID)"]
        )
        return "cannot be stored (see understory.rejected_items): \(item.reason)"
    }

    private func recordFailure(_ row: WebhookInbox.Pending, message: String, on inbox: WebhookInbox) async throws {
        let options = worker.options, message = message.split(whereSeparator: \.isNewline).joined(separator: " ")
        let failures = row.attempts + 1
        let park = failures >= options.maxAttempts
        try await inbox.recordFailure(
            row.id, claim: claim, error: message, retryAfter: InboxWorker.backoff(afterFailures: failures, options: options), park: park
        )
        let resource = row.resource ?? "?"
        if park {
            worker.logger.error(
                "webhook message parked", metadata: ["resource": "\(resource)", "inbox_id": "\(row.id)", "attempts": "\(failures)", "error": "\(message)"]
            )
        } else {
            worker.logger.warning(
                "webhook message failed; will retry",
                metadata: ["resource": "\(resource)", "inbox_id": "\(row.id)", "attempts": "\(failures)", "error": "\(message)"]
            )
        }
        worker.onOutcome?(park ? .parked(resource: row.resource) : .failed(resource: row.resource))
    }

    private func report(_ processed: [WebhookInbox.Pending]) {
        guard let onOutcome = worker.onOutcome else { return }
        let now = worker.clock.wallNow
        for row in processed {
            onOutcome(.processed(resource: row.resource, latency: .milliseconds(Int64(max(0, now.timeIntervalSince(row.receivedAt)) * 1000))))
        }
    }

    /// An error that is the connection's (or the worker's cancellation), not the message's: the
    /// worker reconnects (or stops) and the rows come due again when their lease ends.
    static func breaksConnection(_ error: any Error) -> Bool {
        if error is CancellationError || Task.isCancelled { return true }
        guard let error = error as? PostgresError else { return false }
        if [.connectionLost, .connectionFailed, .connectionClosed].contains(error.code) { return true }
        guard let state = error.sqlState else { return false }
        return state.isConnectionException || state.rawValue.hasPrefix("57P")
    }

    /// A failure as one short line (never a response body: API errors describe themselves in one line).
    static func oneLine(_ error: any Error) -> String {
        String(ExitStatus.oneLine(error).prefix(300))
    }
}
