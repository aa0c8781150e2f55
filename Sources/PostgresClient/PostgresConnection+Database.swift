extension PostgresConnection {
    /// `CREATE DATABASE name` (the name quoted as an identifier). It cannot run inside a transaction.
    public func createDatabase(_ name: String) async throws {
        try await execute("CREATE DATABASE \(Self.quoteIdentifier(name))")
    }

    /// Drops the database `name` if it exists, ending the sessions still connected to it
    /// (`WITH (FORCE)`, PostgreSQL 13 and later). It cannot run inside a transaction.
    public func dropDatabase(_ name: String) async throws {
        try await execute("DROP DATABASE IF EXISTS \(Self.quoteIdentifier(name)) WITH (FORCE)")
    }
}
