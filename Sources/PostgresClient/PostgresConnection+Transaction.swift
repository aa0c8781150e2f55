extension PostgresConnection {
    /// Runs `body` inside `BEGIN … COMMIT`. Any error thrown by `body` (or a failed statement whose
    /// error `body` swallowed) rolls the whole transaction back, and the error is rethrown.
    @discardableResult
    public func withTransaction<T>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let value = try await afterBegin(body)
        if try await transactionState() == .failed {
            _ = try? await execute("ROLLBACK")
            throw PostgresError(code: .server, message: "the transaction failed earlier and was rolled back")
        }
        let commit = try await execute("COMMIT")
        guard commit.commandTag == "COMMIT" else {
            throw PostgresError(code: .server, message: "COMMIT did not commit (server answered \(commit.commandTag))")
        }
        return value
    }

    /// Runs `body` inside `BEGIN … ROLLBACK`: it sees its own writes, and nothing it does is ever
    /// committed (a dry run). An error thrown by `body` rolls back too, and is rethrown.
    @discardableResult
    public func withRolledBackTransaction<T>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let value = try await afterBegin(body)
        try await execute("ROLLBACK")
        return value
    }

    /// `BEGIN`, then `body`; an error `body` throws rolls the transaction back and is rethrown.
    private func afterBegin<T>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await execute("BEGIN")
        do {
            return try await body(self)
        } catch {
            _ = try? await execute("ROLLBACK")
            throw error
        }
    }
}
