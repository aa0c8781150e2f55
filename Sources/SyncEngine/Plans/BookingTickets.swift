import PostgresClient
import UnderstoryAPI

/// The tickets of bookings (`GET /v1/bookings/{id}/tickets`, one request per booking): fetched
/// inside the batch's transaction only for bookings that are new or changed in it (all of them
/// with `--full`), and swapped in whole with their items, in the same transaction as the bookings.
/// A booking whose tickets cannot be stored is rejected, naming the ticket; the rest load.
struct BookingTickets: ChildStage {
    let context: PlanContext

    var tables: [TableSpec] { [.bookingTickets] }

    /// Tickets are fetched once the changed bookings are known (a booking's tickets are one request).
    func prefetch(_ parents: [Fetched<Booking>]) async throws {}
    func cancelPrefetches() {}

    func stageAndReplace(_ loader: BatchLoader, parents bookings: [Fetched<Booking>]) async throws -> StagedChildren {
        let bookingIDs = context.options.full ? Array(Set(bookings.map(\.model.id))) : try await loader.stagedChanges(.bookings)
        guard !bookingIDs.isEmpty else { return StagedChildren() }
        let client = context.client, logger = context.logger
        let fetched = try await boundedConcurrentMap(bookingIDs, limit: context.options.childConcurrency) { id -> (String, Result<[Fetched<Ticket>], UnderstoryAPIError>) in
            do {
                return (id, .success(try await client.tickets(bookingID: id, logger: logger)))
            } catch let error as UnderstoryAPIError where error.code == .notFound {
                // Gone meanwhile: no tickets (a deletion check confirms the booking gone later).
                return (id, .success([]))
            } catch let error as UnderstoryAPIError where error.code == .invalidResponse {
                return (id, .failure(error))
            }
        }
        let raws = Dictionary(bookings.map { ($0.model.id, $0.raw) }, uniquingKeysWith: { _, last in last })
        let companyID = context.companyID
        var tickets = CopyBuffer()
        var result = StagedChildren()
        for (bookingID, answer) in fetched {
            var rows = CopyBuffer(reservingCapacity: 0)
            do {
                switch answer {
                case .success(let items):
                    try Tables.bookingTickets.append(children: items, parentID: bookingID, companyID: companyID, to: &rows)
                    result.sanitized += items.count(where: \.sanitized)
                case .failure(let error):
                    throw ItemRejection("tickets: " + UndecodableItem(error: error, raw: "").reason)
                }
            } catch let rejection as ItemRejection {
                result.rejected.append(RejectedItem(resource: .bookings, itemID: bookingID, reason: rejection.reason, raw: raws[bookingID]))
                continue
            }
            tickets.append(contentsOf: rows)
        }
        let rejectedIDs = result.rejected.compactMap(\.itemID)
        if !rejectedIDs.isEmpty { try await loader.unstage(.bookings, companyID: companyID, ids: rejectedIDs) }
        let storedIDs = bookingIDs.filter { !rejectedIDs.contains($0) }
        try await loader.stage(.bookingTickets, tickets)
        try await loader.connection.execute(
            "DELETE FROM understory.booking_ticket_items WHERE company_id = $1 AND booking_id = ANY($2::text[])",
            [companyID, PostgresTextArray(storedIDs)]
        )
        result.rows += try await loader.replaceChildren(.bookingTickets, parentColumn: "booking_id", companyID: companyID, parentIDs: storedIDs)
        result.rows += try await replaceItems(loader, bookingIDs: storedIDs)
        return result
    }

    /// Writes `booking_ticket_items` of the given bookings from their stored tickets' JSON, column
    /// by column as ``Tables/bookingTicketItems`` declares them.
    private func replaceItems(_ loader: BatchLoader, bookingIDs: [String]) async throws -> Int {
        guard !bookingIDs.isEmpty else { return 0 }
        let items = TableSpec.bookingTicketItems
        let sql = """
            INSERT INTO understory.booking_ticket_items (\(items.targetColumns.joined(separator: ", ")))
            SELECT \(items.selectList(runID: "$3").joined(separator: ", "))
            FROM understory.booking_tickets AS t
            CROSS JOIN LATERAL jsonb_array_elements(
                CASE WHEN jsonb_typeof(t.raw -> 'items') = 'array' THEN t.raw -> 'items' ELSE '[]'::jsonb END
            ) WITH ORDINALITY AS x(i, n)
            WHERE t.company_id = $1 AND t.booking_id = ANY($2::text[])
            ON CONFLICT (\(items.key.joined(separator: ", "))) DO NOTHING
            """
        return try await loader.connection.execute(sql, [context.companyID, PostgresTextArray(bookingIDs), loader.runID]).affectedRows
    }
}
