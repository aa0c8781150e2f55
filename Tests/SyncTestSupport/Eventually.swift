/// Waits for something another process or task does (a webhook landing, a row committed): checks
/// `condition` every 20 ms until it holds or `limit` passes. A bound against a hang, never a
/// measurement (generous, so a test starved by 300 others running in parallel on two cores is
/// not mistaken for a hang); returns whether the condition held. The one polling helper of the test targets
/// that can see this module.
public func eventually(within limit: Duration = .seconds(120), _ condition: () async throws -> Bool) async throws -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + limit
    while clock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(20))  // Justified: the poll interval of a bounded wait on a condition.
    }
    return try await condition()
}
