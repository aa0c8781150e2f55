extension PostgresConnection {
    /// Tries to take a session-level advisory lock named `name` without waiting.
    /// Returns `false` when another session holds it. The name is hashed to 64 bits by the server.
    public func tryAdvisoryLock(_ name: String) async throws -> Bool {
        let result = try await execute("SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked", [name])
        return try result.rows[0]["locked"].decode(Bool.self)
    }

    /// Waits until the advisory lock named `name` is free, then takes it.
    public func advisoryLock(_ name: String) async throws {
        try await execute("SELECT pg_advisory_lock(hashtextextended($1, 0))", [name])
    }

    /// Releases an advisory lock taken by this session. Returns `false` if it was not held.
    @discardableResult
    public func advisoryUnlock(_ name: String) async throws -> Bool {
        let result = try await execute("SELECT pg_advisory_unlock(hashtextextended($1, 0)) AS unlocked", [name])
        return try result.rows[0]["unlocked"].decode(Bool.self)
    }
}
