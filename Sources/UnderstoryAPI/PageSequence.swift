import Logging

/// The pages of one traversal of a list endpoint, fetched lazily, one request per `next()`.
///
/// Ends after the page whose `next` is empty or absent. Throws `.cursorLoop` if the API hands out
/// a cursor already used in this traversal, and `.cursorRejected` when the API refuses an expired
/// or unknown cursor — then start a new traversal (iterate the sequence again: each iterator starts
/// from the first page). Cursors are never meant to outlive a run.
public struct PageSequence<Item: APIModel>: AsyncSequence, Sendable {
    public typealias Element = Page<Item>

    let client: UnderstoryClient
    let request: ListRequest
    let startCursor: String?
    let logger: Logger?

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(sequence: self)
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let sequence: PageSequence
        var cursor: String?
        var number = 0
        var finished = false
        var seen: Set<String> = []

        init(sequence: PageSequence) {
            self.sequence = sequence
            self.cursor = sequence.startCursor
            if let cursor = sequence.startCursor { seen.insert(cursor) }
        }

        public mutating func next() async throws -> Page<Item>? {
            guard !finished else { return nil }
            number += 1
            let page: Page<Item>
            do {
                page = try await sequence.client.fetchPage(
                    Item.self, request: sequence.request, cursor: cursor, number: number, logger: sequence.logger
                )
            } catch {
                finished = true
                throw error
            }
            if let next = page.next {
                guard seen.insert(next).inserted else {
                    finished = true
                    throw UnderstoryAPIError(
                        code: .cursorLoop, path: sequence.request.path, resource: sequence.request.resource, page: number
                    )
                }
                cursor = next
            } else {
                finished = true
            }
            return page
        }
    }

    /// All items of a full traversal (for small lists: sub-resources, experiences). An item that
    /// does not decode fails the whole list with its error (a partial list would look complete).
    public func collectItems() async throws -> [Fetched<Item>] {
        var all: [Fetched<Item>] = []
        for try await page in self {
            if let bad = page.undecodable.first { throw bad.error }
            all.append(contentsOf: page.items)
        }
        return all
    }
}
