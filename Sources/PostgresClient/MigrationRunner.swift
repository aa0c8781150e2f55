import Logging

/// Applies versioned migrations in order, each in its own transaction, and records them in
/// `<schema>.schema_migrations` (version, name, checksum, applied_at).
///
/// Runs under an advisory lock, so two processes migrating at once apply each file once. A file
/// that was applied earlier but whose text changed since is an error naming that file: history is
/// never rewritten silently. Checksums are SHA-256 of the file text, computed by the server.
public struct MigrationRunner: Sendable {
    public var schema: String
    public var migrations: [Migration]

    public init(schema: String, migrations: [Migration]) {
        self.schema = schema
        self.migrations = migrations.sorted { $0.version < $1.version }
    }

    /// What `migrate` did.
    public struct Outcome: Sendable {
        /// Migrations applied by this call, in order.
        public var applied: [Migration]
        /// The schema version after the call.
        public var currentVersion: Int
    }

    /// The state of the database compared with the known migrations.
    public struct Status: Sendable {
        public var appliedVersions: [Int]
        public var pending: [Migration]
        public var latestKnownVersion: Int
        public var isCurrent: Bool { pending.isEmpty }
    }

    private var table: String { PostgresConnection.quoteIdentifier(schema) + ".schema_migrations" }
    private var lockName: String { "schema_migrations:migrate:\(schema)" }

    /// Applies every pending migration.
    public func migrate(on connection: PostgresConnection, logger: Logger) async throws -> Outcome {
        try checkVersionsAreUnique()
        try await connection.advisoryLock(lockName)
        do {
            let outcome = try await migrateHoldingLock(on: connection, logger: logger)
            try await connection.advisoryUnlock(lockName)
            return outcome
        } catch {
            _ = try? await connection.advisoryUnlock(lockName)
            throw error
        }
    }

    /// Reports applied and pending migrations without changing anything. Also verifies checksums.
    public func status(on connection: PostgresConnection) async throws -> Status {
        let exists = try await connection.execute(
            "SELECT to_regclass($1) IS NOT NULL AS present", [PostgresConnection.quoteIdentifier(schema) + ".schema_migrations"]
        )
        guard try exists.rows[0]["present"].decode(Bool.self) else {
            return Status(appliedVersions: [], pending: migrations, latestKnownVersion: migrations.last?.version ?? 0)
        }
        let applied = try await appliedChecksums(on: connection)
        try await verifyChecksums(applied, on: connection)
        return Status(
            appliedVersions: applied.keys.sorted(),
            pending: migrations.filter { applied[$0.version] == nil },
            latestKnownVersion: migrations.last?.version ?? 0
        )
    }

    private func migrateHoldingLock(on connection: PostgresConnection, logger: Logger) async throws -> Outcome {
        try await connection.simpleQuery("""
            CREATE SCHEMA IF NOT EXISTS \(PostgresConnection.quoteIdentifier(schema));
            CREATE TABLE IF NOT EXISTS \(table) (
                version    integer     PRIMARY KEY,
                name       text        NOT NULL,
                checksum   text        NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            );
            COMMENT ON TABLE \(table) IS 'Schema migrations applied by MigrationRunner (one row per migration).';
            COMMENT ON COLUMN \(table).version IS 'Migration number (the NNNN of NNNN_name.sql).';
            COMMENT ON COLUMN \(table).name IS 'Migration name (the name of NNNN_name.sql).';
            COMMENT ON COLUMN \(table).checksum IS 'SHA-256 of the file as applied; a later edit of the file is refused.';
            COMMENT ON COLUMN \(table).applied_at IS 'When the migration was applied.';
            """)
        let applied = try await appliedChecksums(on: connection)
        try await verifyChecksums(applied, on: connection)
        var done = [Migration]()
        for migration in migrations where applied[migration.version] == nil {
            logger.info("applying migration", metadata: ["migration": "\(migration.fileName)"])
            do {
                try await connection.withTransaction { connection in
                    try await connection.simpleQuery(migration.sql)
                    try await connection.execute(
                        "INSERT INTO \(table) (version, name, checksum) VALUES ($1, $2, encode(sha256(convert_to($3, 'UTF8')), 'hex'))",
                        [migration.version, migration.name, migration.sql]
                    )
                }
            } catch var error as PostgresError {
                error.message = "migration \(migration.fileName) failed: \(error.message)"
                throw error
            }
            done.append(migration)
        }
        let current = max(applied.keys.max() ?? 0, done.last?.version ?? 0)
        return Outcome(applied: done, currentVersion: current)
    }

    private func appliedChecksums(on connection: PostgresConnection) async throws -> [Int: String] {
        let rows = try await connection.execute("SELECT version, checksum FROM \(table) ORDER BY version").rows
        var applied = [Int: String]()
        for row in rows { applied[try row["version"].decode(Int.self)] = try row["checksum"].decode(String.self) }
        return applied
    }

    private func verifyChecksums(_ applied: [Int: String], on connection: PostgresConnection) async throws {
        for migration in migrations {
            guard let recorded = applied[migration.version] else { continue }
            let current = try await connection.execute(
                "SELECT encode(sha256(convert_to($1, 'UTF8')), 'hex') AS checksum", [migration.sql]
            ).rows[0]["checksum"].decode(String.self)
            if current != recorded {
                throw PostgresError(
                    code: .server,
                    message: "migration \(migration.fileName) was changed after it was applied (checksum \(recorded.prefix(12))… in the database, \(current.prefix(12))… on disk)",
                    hint: "never edit an applied migration; restore the file and add a new migration instead"
                )
            }
        }
    }

    private func checkVersionsAreUnique() throws {
        var seen = Set<Int>()
        for migration in migrations where !seen.insert(migration.version).inserted {
            throw PostgresError(code: .server, message: "two migrations share version \(migration.version)")
        }
    }
}
