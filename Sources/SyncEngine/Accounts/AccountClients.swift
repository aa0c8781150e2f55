import Synchronization
import UnderstoryAPI

/// One API client per connected account, made on first use and kept, so a long-running process
/// (`serve` in third-party mode) reuses each account's access token instead of refreshing per request.
public final class AccountClients: Sendable {
    private let accountSync: AccountSync
    private let clients = Mutex<[String: UnderstoryClient]>([:])

    public init(_ accountSync: AccountSync) {
        self.accountSync = accountSync
    }

    /// The client of `companyID`, which must be a connected, active account (else `.unknownAccount` / `.accountNotActive`).
    public func client(for companyID: String) async throws -> UnderstoryClient {
        if let client = clients.withLock({ $0[companyID] }) { return client }
        let client = try await accountSync.activeClient(for: companyID)
        return clients.withLock { clients in
            if let existing = clients[companyID] { return existing }
            clients[companyID] = client
            return client
        }
    }

    /// Forgets the clients of accounts not in `companyIDs` (disconnected, or no longer served).
    public func retain(only companyIDs: Set<String>) {
        clients.withLock { clients in clients = clients.filter { companyIDs.contains($0.key) } }
    }

    /// Request counters of every client made so far, for `/metrics`.
    public var statistics: [RequestStatistics] {
        clients.withLock { $0.values.map(\.statistics) }
    }
}
