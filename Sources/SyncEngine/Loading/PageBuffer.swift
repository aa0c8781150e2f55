/// A bounded buffer between the task that fetches pages and the task that loads them.
///
/// `send` suspends while the buffer is full, so fetching runs ahead of loading by at most
/// `capacity` pages and memory stays flat however large the account. When the loader stops
/// early (an error, or enough pages), `close()` wakes a waiting sender and later sends return
/// `false`, so the fetcher ends instead of hanging.
actor PageBuffer<Element: Sendable> {
    private let capacity: Int
    private var items: [Element] = []
    private var head = 0
    private var senders: [CheckedContinuation<Void, Never>] = []
    private var receiver: CheckedContinuation<Element?, any Error>?
    private var finished = false
    private var failure: (any Error)?
    private var closed = false

    init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    /// Adds an element, waiting while the buffer is full. Returns `false` once the consumer closed the buffer.
    func send(_ element: Element) async -> Bool {
        while !closed && items.count - head >= capacity {
            await withCheckedContinuation { senders.append($0) }
        }
        guard !closed else { return false }
        if let receiver {
            self.receiver = nil
            receiver.resume(returning: element)
        } else {
            items.append(element)
        }
        return true
    }

    /// Ends the stream: the consumer receives the remaining elements, then `nil` (or `error`).
    func finish(throwing error: (any Error)? = nil) {
        finished = true
        failure = error
        if let receiver, head == items.count {
            self.receiver = nil
            if let error { receiver.resume(throwing: error) } else { receiver.resume(returning: nil) }
        }
    }

    /// The next element, or `nil` at the end. Throws the error the producer finished with.
    func receive() async throws -> Element? {
        if head < items.count {
            let element = items[head]
            head += 1
            if head > 64 && head * 2 > items.count {
                items.removeFirst(head)
                head = 0
            }
            if !senders.isEmpty { senders.removeFirst().resume() }
            return element
        }
        if finished {
            if let failure { throw failure }
            return nil
        }
        return try await withCheckedThrowingContinuation { receiver = $0 }
    }

    /// Called by the consumer when it stops reading: wakes and releases the producer.
    func close() {
        closed = true
        items.removeAll()
        head = 0
        for sender in senders { sender.resume() }
        senders.removeAll()
    }
}
