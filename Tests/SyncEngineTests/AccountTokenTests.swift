import Foundation
import Logging
import PostgresClient
import SyncEngine
import SyncTestSupport
import Testing
import UnderstoryAPI

@Suite("Connected accounts' refresh tokens: sealed at rest, rotated under a lock")
struct AccountTokenTests {
    static let key = try! TokenKey(bytes: Array(repeating: 7, count: 32))
    static let me = Me(companyID: "co-1", companyName: "One", userID: "u-1", email: nil)

    @Test("UNDERSTORY_TOKEN_KEY: base64 or hex of 32 bytes; anything else is a clear configuration error")
    func keyParsing() throws {
        let bytes = (0..<32).map { UInt8($0) }
        let hex = bytes.map { String(format: "%02x", $0) }.joined()
        #expect(try TokenKey(text: hex).id == TokenKey(bytes: bytes).id)
        #expect(try TokenKey(text: Data(bytes).base64EncodedString()).id == TokenKey(bytes: bytes).id)
        let short = #expect(throws: SyncError.self) { try TokenKey(text: Data(bytes.prefix(16)).base64EncodedString()) }
        #expect(short?.code == .tokenKeyInvalid)
        #expect(short?.message.contains("32 bytes") == true)
        let missing = #expect(throws: SyncError.self) { try TokenKey(environment: [:]) }
        #expect(missing?.message.contains("UNDERSTORY_TOKEN_KEY is not set") == true)
        #expect(throws: SyncError.self) { try TokenKey(text: "not base64 !!") }
    }

    @Test("a sealed token opens only with the same key and the same company")
    func sealing() throws {
        let token = Secret("refresh-token-123")
        let sealed = try Self.key.seal(token, companyID: "co-1")
        #expect(try Self.key.open(sealed, companyID: "co-1", keyID: Self.key.id) == token)
        let otherKey = try TokenKey(bytes: Array(repeating: 8, count: 32))
        let wrongKey = #expect(throws: SyncError.self) { try otherKey.open(sealed, companyID: "co-1", keyID: Self.key.id) }
        #expect(wrongKey?.message.contains("sealed with another UNDERSTORY_TOKEN_KEY") == true)
        #expect(throws: SyncError.self) { try otherKey.open(sealed, companyID: "co-1", keyID: nil) }
        #expect(throws: SyncError.self) { try Self.key.open(sealed, companyID: "co-2", keyID: Self.key.id) }
    }

    @Test("the stored row holds no readable token; list never shows one")
    func atRest() async throws {
        try await Self.withAccount(token: "plain-refresh-token-XYZ") { database in
            try await PostgresConnection.withConnection(database, logger: quietLogger) { connection in
                let dump = try await connection.execute("SELECT a::text AS row, encode(refresh_token_sealed, 'escape') AS raw FROM understory.accounts a").rows[0]
                #expect(dump["row"].string?.contains("plain-refresh-token-XYZ") == false)
                #expect(dump["raw"].string?.contains("plain-refresh-token-XYZ") == false)
                let accounts = try await AccountStore(connection: connection).list()
                #expect(accounts.map(\.companyID) == ["co-1"])
                #expect(accounts[0].status == .active)
                let encoded = String(decoding: try JSONEncoder().encode(accounts), as: UTF8.self)
                #expect(!encoded.contains("plain-refresh-token-XYZ"))
            }
        }
    }

    @Test("concurrent refreshes of one account never present a rotated-away token")
    func serializedRotation() async throws {
        try await Self.withAccount(token: "rt-0") { database in
            let callers = 6
            // Each exchange waits (bounded) until every caller that has not had its turn is queued on the
            // lock, so all of them would present the same token to the issuer if the lock did not hold them.
            let issuer = StrictIssuer(current: "rt-0") { turn in
                let queued = try await eventually {
                    try await PostgresConnection.withConnection(database, logger: quietLogger) { connection in
                        try await connection.execute(
                            """
                            SELECT count(*) AS n FROM pg_locks
                            WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                            """
                        ).rows[0]["n"].int == callers - turn
                    }
                }
                #expect(queued, "the other callers queue on the account's lock")
            }
            let store = StoredRefreshToken(companyID: "co-1", database: database, key: Self.key, logger: quietLogger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<callers {
                    group.addTask { _ = try await store.rotate { try await issuer.refresh($0) } }
                }
                try await group.waitForAll()
            }
            #expect(await issuer.rotations == 6)
            let stored = try await PostgresConnection.withConnection(database, logger: quietLogger) { connection in
                try await connection.execute("SELECT refresh_token_sealed, token_key_id, token_generation FROM understory.accounts").rows[0]
            }
            #expect(try Self.key.open(stored["refresh_token_sealed"].bytes ?? [], companyID: "co-1", keyID: stored["token_key_id"].string) == Secret("rt-6"))
            #expect(stored["token_generation"].int == 6)
        }
    }

    @Test("invalid_grant marks the account needs_reconnect; later refreshes fail without calling the issuer")
    func revoked() async throws {
        try await Self.withAccount(token: "rt-0") { database in
            let store = StoredRefreshToken(companyID: "co-1", database: database, key: Self.key, logger: quietLogger)
            let rejected = await #expect(throws: UnderstoryAPIError.self) {
                _ = try await store.rotate { _ in throw UnderstoryAPIError(code: .reconnectRequired, status: 400, apiCode: "invalid_grant") }
            }
            #expect(rejected?.code == .reconnectRequired)
            let account = try await PostgresConnection.withConnection(database, logger: quietLogger) { try await AccountStore(connection: $0).find("co-1") }
            #expect(account?.status == .needsReconnect)
            #expect(account?.statusReason?.contains("invalid_grant") == true)
            let again = await #expect(throws: SyncError.self) {
                _ = try await store.rotate { _ in Issue.record("the issuer must not be called"); throw CancellationError() }
            }
            #expect(again?.code == .accountNotActive)
            #expect(again?.message.contains("accounts connect") == true)
        }
    }

    /// A fresh database with account `co-1` holding `token`.
    static func withAccount(token: String, _ body: (PostgresConfiguration) async throws -> Void) async throws {
        try await TestDatabase.withFreshDatabase { database in
            try await PostgresConnection.withConnection(database, logger: quietLogger) { connection in
                _ = try await Schema.migrate(on: connection, logger: quietLogger)
                _ = try await AccountStore(connection: connection).saveConnected(
                    me: me, companyID: "co-1", clientID: "app", scopes: ["openid", "offline"], refreshToken: Secret(token), key: key
                )
            }
            try await body(database)
        }
    }
}

/// An issuer that rotates strictly: only the newest refresh token is accepted, once. Before it
/// answers the n-th exchange it runs `beforeAnswering(n)` (the test waits there for the callers
/// still to come to be queued), the window in which an unserialised caller would present the
/// rotated-away token.
actor StrictIssuer {
    private var current: String
    private(set) var rotations = 0
    private let beforeAnswering: @Sendable (Int) async throws -> Void

    init(current: String, beforeAnswering: @escaping @Sendable (Int) async throws -> Void = { _ in }) {
        self.current = current
        self.beforeAnswering = beforeAnswering
    }

    func refresh(_ token: Secret) async throws -> TokenGrantResponse {
        guard token.revealed == current else {
            throw UnderstoryAPIError(code: .reconnectRequired, status: 400, apiCode: "invalid_grant", detail: "reused \(token.revealed)")
        }
        rotations += 1
        current = "rt-\(rotations)"
        let answer = current, turn = rotations
        try await beforeAnswering(turn)
        return TokenGrantResponse(
            accessToken: AccessToken(value: "at-\(turn)", lifetime: .seconds(3600), grantedScopes: ["openid", "offline"]),
            refreshToken: Secret(answer), expiresIn: 3600
        )
    }
}
