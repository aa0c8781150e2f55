/// Runs `transform` over `items` with at most `limit` running at once; results come back in
/// completion order. The first error cancels the rest and is rethrown.
func boundedConcurrentMap<Item: Sendable, Output: Sendable>(
    _ items: [Item], limit: Int, _ transform: @escaping @Sendable (Item) async throws -> Output
) async throws -> [Output] {
    try await withThrowingTaskGroup(of: Output.self, returning: [Output].self) { group in
        var next = 0
        var results = [Output]()
        results.reserveCapacity(items.count)
        func startNext() {
            let item = items[next]
            next += 1
            group.addTask { try await transform(item) }
        }
        while next < min(max(1, limit), items.count) { startNext() }
        while let result = try await group.next() {
            results.append(result)
            if next < items.count { startNext() }
        }
        return results
    }
}
