/// An error of the sync engine itself (errors of the API client and of PostgreSQL pass through
/// unchanged as `UnderstoryAPIError` and `PostgresError`).
public struct SyncError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// Another run holds the lock of a resource.
        public static let lockHeld = Code("lockHeld")
        /// A statement waited longer than `lock_timeout` for a table or row lock another session holds.
        public static let lockTimeout = Code("lockTimeout")
        /// The database schema is missing or older than this binary: run `migrate`.
        public static let schemaNotMigrated = Code("schemaNotMigrated")
        /// The API sent an item that cannot be stored (missing required field, bad value).
        public static let invalidData = Code("invalidData")
        /// Bad arguments (window, resource) that parsing could not catch.
        public static let invalidArguments = Code("invalidArguments")
        /// The run was stopped by a signal before it finished.
        public static let interrupted = Code("interrupted")
        /// `UNDERSTORY_TOKEN_KEY` is missing or malformed, or does not open a stored token.
        public static let tokenKeyInvalid = Code("tokenKeyInvalid")
        /// No connected account has the id given.
        public static let unknownAccount = Code("unknownAccount")
        /// The account must be connected again (consent revoked) or was disconnected.
        public static let accountNotActive = Code("accountNotActive")
        /// The run stored everything else, but set aside items that cannot be stored in
        /// `understory.rejected_items` (they are fetched again by every later run).
        public static let itemsRejected = Code("itemsRejected")
        /// `/v1/me` named a different company than the account being synced.
        public static let accountMismatch = Code("accountMismatch")

        public var description: String { name }
    }

    public var code: Code
    public var message: String
    public var resource: Resource?
    public var underlying: (any Error)?

    public init(_ code: Code, _ message: String, resource: Resource? = nil, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.resource = resource
        self.underlying = underlying
    }

    public var description: String { message }
}

extension SyncError {
    /// The run stored everything else but set `count` items aside (exit 65).
    public static func itemsRejected(_ count: Int) -> SyncError {
        SyncError(.itemsRejected, "\(count) item\(count == 1 ? "" : "s") rejected: see understory.rejected_items")
    }
}
