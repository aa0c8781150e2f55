import Logging
import URLEncoding

/// What a traversal fetched when its bodies were not decoded (see ``PageSequence/fetchUndecoded()``).
public struct UndecodedTraversal: Sendable, Hashable {
    public var pages = 0
    public var bytes = 0
    public var items = 0

    public init() {}

    public static func + (lhs: UndecodedTraversal, rhs: UndecodedTraversal) -> UndecodedTraversal {
        var sum = lhs
        sum.pages += rhs.pages
        sum.bytes += rhs.bytes
        sum.items += rhs.items
        return sum
    }
}

extension PageSequence {
    /// GETs every page of this traversal with the same client (token, retries, HTTP) and does
    /// nothing with the bodies but find the `next` cursor (the envelope scan, no model decoding,
    /// no `raw` strings). The fetch ceiling of the benchmarks: what paging alone costs.
    public func fetchUndecoded() async throws -> UndecodedTraversal {
        var result = UndecodedTraversal()
        var cursor = startCursor
        var seen: Set<String> = []
        if let cursor { seen.insert(cursor) }
        var number = 0
        while true {
            number += 1
            let spec = client.makeSpec(
                path: request.path, query: request.query, resource: request.resource, scope: request.scope,
                page: number, cursor: cursor, acceptLanguage: request.acceptLanguage
            )
            let response = try await client.executor.send(spec, tokens: client.tokens, logger: logger ?? client.logger)
            let envelope = try response.body.withUnsafeReadableBytes { bytes in
                do {
                    return try JSONItemScanner.scanList(bytes)
                } catch {
                    throw UnderstoryAPIError(
                        code: .invalidResponse, path: request.path, resource: request.resource, page: number,
                        detail: "malformed list body: \(error)", underlying: error
                    )
                }
            }
            result.pages += 1
            result.bytes += response.body.readableBytes
            result.items += envelope.items.count
            guard let next = envelope.next, !next.isEmpty else { return result }
            guard seen.insert(next).inserted else {
                throw UnderstoryAPIError(code: .cursorLoop, path: request.path, resource: request.resource, page: number)
            }
            cursor = next
        }
    }
}

extension UnderstoryClient {
    /// The pages of `GET /v1/orders/{id}/line-items`, `/refunds` and `/transactions`, undecoded
    /// (for the fetch ceiling of the benchmarks).
    public func fetchOrderChildrenUndecoded(orderID: String) async throws -> UndecodedTraversal {
        // The three calls at once, as the sync makes them.
        async let lines = (orderChildPages(orderID: orderID, name: "line-items", logger: nil) as PageSequence<LineItem>).fetchUndecoded()
        async let refunds = (orderChildPages(orderID: orderID, name: "refunds", logger: nil) as PageSequence<Refund>).fetchUndecoded()
        async let transactions = (orderChildPages(orderID: orderID, name: "transactions", logger: nil) as PageSequence<Transaction>).fetchUndecoded()
        return try await lines + refunds + transactions
    }

    /// The pages of `GET /v1/bookings/{id}/tickets`, undecoded (for the fetch ceiling).
    public func fetchBookingTicketsUndecoded(bookingID: String) async throws -> UndecodedTraversal {
        try await ticketPages(bookingID: bookingID, logger: nil).fetchUndecoded()
    }

    /// The pages of `GET /v1/experiences/{id}/ticket-variants`, undecoded (for the fetch ceiling).
    public func fetchTicketVariantsUndecoded(experienceID: String) async throws -> UndecodedTraversal {
        try await ticketVariantPages(experienceID: experienceID, acceptLanguage: nil, logger: nil).fetchUndecoded()
    }
}
