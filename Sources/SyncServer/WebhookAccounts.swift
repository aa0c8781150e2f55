import Logging
import PostgresClient
import ServiceLifecycle
import Synchronization
import SyncEngine
import TimeSource
import UnderstoryAPI

/// Where `serve` finds the accounts it verifies deliveries for: the subscription store (and
/// UNDERSTORY_WEBHOOK_SECRET), never the API, so deliveries are accepted into the inbox while
/// Understory or its discovery is unreachable.
public enum WebhookAccounts {
    /// Third-party mode: the stored subscriptions of the connected (not disconnected) accounts of
    /// `wanted` (nil = all). After each load, `clients` forgets the clients of accounts no longer
    /// served, so a disconnected account's client is dropped within one reload.
    public static func connected(
        database: PostgresConfiguration, key: TokenKey, wanted: Set<String>?, clients: AccountClients?, logger: Logger
    ) -> @Sendable () async throws -> [WebhookServer.Account] {
        {
            let (secrets, connected) = try await PostgresConnection.withConnection(database, logger: logger) {
                connection -> ([WebhookSubscriptionStore.StoredSecret], Set<String>) in
                let secrets = try await WebhookSubscriptionStore(connection: connection).secrets(key: key, logger: logger)
                let connected = Set(try await AccountStore(connection: connection).list().filter { $0.status != .disconnected }.map(\.companyID))
                return (secrets, connected)
            }
            let served = secrets.filter { connected.contains($0.companyID) && (wanted?.contains($0.companyID) ?? true) }
            let accounts = accounts(from: served, logger: logger)
            clients?.retain(only: Set(accounts.map(\.companyID)))
            return accounts
        }
    }

    /// Internal-key mode: the key's own company, named by `company` (known from `/v1/me` once the
    /// API answered, else from what the database already holds), with its stored secrets and `extraSecret`.
    public static func internalKey(
        database: PostgresConfiguration, key: TokenKey?, extraSecret: Secret?, company: InternalCompany, logger: Logger
    ) -> @Sendable () async throws -> [WebhookServer.Account] {
        {
            let (secrets, known) = try await PostgresConnection.withConnection(database, logger: logger) {
                connection -> ([WebhookSubscriptionStore.StoredSecret], String?) in
                let store = WebhookSubscriptionStore(connection: connection)
                var secrets: [WebhookSubscriptionStore.StoredSecret] = []
                if let key { secrets = try await store.secrets(key: key, logger: logger) }
                return (secrets, try await company.current(connection: connection))
            }
            guard let companyID = known else {
                // A failed load: deliveries get 503 (retry later), not 401.
                if extraSecret != nil || !secrets.isEmpty { throw CompanyNotKnownYet() }
                return []
            }
            var served = secrets.filter { $0.companyID == companyID }
            if let extraSecret { served.append(.init(companyID: companyID, subscriptionID: "UNDERSTORY_WEBHOOK_SECRET", endpoint: nil, secret: extraSecret)) }
            return accounts(from: served, logger: logger)
        }
    }

    /// One account per company; a secret that is not a valid webhook secret is logged and skipped.
    static func accounts(from secrets: [WebhookSubscriptionStore.StoredSecret], logger: Logger) -> [WebhookServer.Account] {
        var byCompany: [String: [WebhookSubscriptionStore.StoredSecret]] = [:]
        for stored in secrets {
            do {
                _ = try WebhookSignature(secrets: [stored.secret])
                byCompany[stored.companyID, default: []].append(stored)
            } catch {
                logger.error(
                    "a webhook secret is not usable; skipped", metadata: ["company_id": "\(stored.companyID)", "subscription": "\(stored.subscriptionID)"]
                )
            }
        }
        return byCompany.sorted { $0.key < $1.key }.compactMap { companyID, stored in
            guard let signature = try? WebhookSignature(secrets: stored.map(\.secret)) else { return nil }
            return WebhookServer.Account(
                companyID: companyID, signature: signature, endpoints: Set(stored.compactMap(\.endpoint)),
                plainPath: stored.contains { $0.endpoint == nil }
            )
        }
    }
}

struct CompanyNotKnownYet: Error, CustomStringConvertible {
    var description: String { "the company of the integration key is not known yet: the API has not answered /v1/me and the database names no single company" }
}

/// The company of the integration key: `/v1/me` answers it, asked in the background (as a service
/// of `serve`, retried with back-off) so that nothing waits for the API. Until it answered, the
/// company the database already knows stands in (the one company with stored subscriptions or
/// sync state that is not a connected account), so a restart while Understory is down still
/// accepts deliveries.
public final class InternalCompany: Service, Sendable {
    private let resolved = Mutex<String?>(nil)
    private let me: @Sendable () async throws -> String
    private let clock: any TimeSource
    private let logger: Logger

    public init(clock: any TimeSource = .system, logger: Logger, me: @escaping @Sendable () async throws -> String) {
        self.me = me
        self.clock = clock
        self.logger = logger
    }

    /// The company if `/v1/me` answered; else the database's single candidate, or nil.
    func current(connection: PostgresConnection) async throws -> String? {
        if let known = resolved.withLock({ $0 }) { return known }
        let candidates = try await WebhookSubscriptionStore(connection: connection).internalCompanyCandidates()
        return candidates.count == 1 ? candidates[0] : nil
    }

    static let configurationErrors: Set<UnderstoryAPIError.Code> = [.missingConfiguration, .invalidConfiguration, .authenticationFailed, .forbidden]

    /// Asks `/v1/me` until it answers (1 s doubling to 60 s; an unreachable API, 5xx and 429 are
    /// retried, refused credentials end `serve` as a configuration error), then waits for shutdown.
    public func run() async throws {
        var failures = 0
        while resolved.withLock({ $0 }) == nil {
            do {
                // A shutdown must not wait out the API client's retries.
                let me = self.me
                let companyID = try await abandonAfterShutdown(grace: .zero, clock: clock) { try await me() }
                resolved.withLock { $0 = companyID }
                logger.info("the integration key's company is known", metadata: ["company_id": "\(companyID)"])
            } catch {
                if Task.isCancelled || Task.isShuttingDownGracefully { return }
                // Credentials the issuer refuses are a configuration error: serve stops and says so.
                if let error = error as? UnderstoryAPIError, Self.configurationErrors.contains(error.code) { throw error }
                failures += 1
                let wait = WorkerService.backoff(afterFailures: failures)
                logger.warning("/v1/me did not answer; deliveries are still accepted", metadata: ["error": "\(error)", "retry_in": "\(wait)"])
                do {
                    try await cancelWhenGracefulShutdown { try await self.clock.sleep(for: wait) }
                } catch {
                    return
                }
            }
        }
        try? await gracefulShutdown()
    }
}
