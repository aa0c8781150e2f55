import Logging
import PostgresClient
import UnderstoryAPI

/// What `check` verifies, each with a verdict: credentials and scopes, the account, the database
/// and its schema. Every check runs even if an earlier one failed, so one run tells everything.
public struct HealthCheck: Sendable {
    public struct Item: Sendable {
        public var name: String
        public var ok: Bool
        public var detail: String
        /// The error behind a failed check (decides the exit status).
        public var error: (any Error)?
    }

    public var items: [Item] = []
    public var ok: Bool { items.allSatisfy(\.ok) }
    /// Every failed check with its error, named by the check.
    public var failures: [RunFailure] { items.compactMap { item in item.ok ? nil : item.error.map { RunFailure(subject: item.name, error: $0) } } }

    public static func run(client: UnderstoryClient?, clientError: (any Error)?, database: PostgresConfiguration, logger: Logger) async -> HealthCheck {
        var check = HealthCheck()
        if let client {
            do {
                let report = try await client.checkScopes(logger: logger)
                if let granted = report.granted {
                    check.items.append(Item(name: "token", ok: true, detail: "obtained; granted scopes: \(granted.joined(separator: " "))"))
                } else {
                    check.items.append(Item(name: "token", ok: true, detail: "obtained (the token response did not list scopes)"))
                }
                let needed = Self.neededScopes
                let missing = report.granted.map { granted in needed.filter { !granted.contains($0) } } ?? []
                if missing.isEmpty {
                    check.items.append(Item(name: "scopes", ok: true, detail: "all needed scopes present (\(needed.joined(separator: " ")))"))
                } else {
                    let error = UnderstoryAPIError(code: .forbidden, requiredScope: missing.joined(separator: " "), detail: "missing scopes: \(missing.joined(separator: " ")); tick them on the integration key in Understory Backoffice")
                    check.items.append(Item(name: "scopes", ok: false, detail: "missing: \(missing.joined(separator: " ")) — tick them on the integration key in Understory Backoffice", error: error))
                }
                if let granted = report.granted { check.items.append(Self.optionalScopes(granted: granted, name: "optional scopes")) }
                let me = try await client.me(logger: logger).model
                check.items.append(Item(name: "account", ok: true, detail: "company \(me.companyName ?? "?") (\(me.companyID ?? "?"))"))
            } catch {
                check.items.append(Item(name: "api", ok: false, detail: String(describing: error), error: error))
            }
        } else if let clientError {
            check.items.append(Item(name: "configuration", ok: false, detail: String(describing: clientError), error: clientError))
        }
        check.items += await databaseItems(database, logger: logger)
        return check
    }

    /// Third-party mode: the database, then each selected account — its state, a token from its
    /// refresh token (which rotates and is stored, as in a sync) and `/v1/me` naming the same company.
    public static func run(
        accounts: AccountSync?, selection: AccountSync.Selection, setupError: (any Error)?, database: PostgresConfiguration, logger: Logger
    ) async -> HealthCheck {
        var check = HealthCheck()
        check.items += await databaseItems(database, logger: logger)
        guard let accounts else {
            if let setupError {
                check.items.append(Item(name: "configuration", ok: false, detail: String(describing: setupError), error: setupError))
            }
            return check
        }
        let selected: [Account]
        do {
            selected = try await accounts.accounts(selection)
        } catch {
            check.items.append(Item(name: "accounts", ok: false, detail: String(describing: error), error: error))
            return check
        }
        for account in selected {
            let name = "account \(account.companyID)"
            guard account.status == .active else {
                let error = StoredRefreshToken.notActive(companyID: account.companyID, status: account.status)
                check.items.append(Item(name: name, ok: false, detail: "\(account.status)\(account.statusReason.map { " — \($0)" } ?? "")", error: error))
                continue
            }
            do {
                let client = accounts.client(for: account.companyID)
                let me = try await client.me(logger: logger).model
                guard me.companyID == account.companyID else {
                    throw SyncError(.accountMismatch, "its token belongs to company \(me.companyID ?? "?") according to /v1/me")
                }
                let scopes = await client.tokens.grantedScopes ?? account.scopes
                let needed = Self.neededScopes
                let missing = needed.filter { !scopes.contains($0) }
                if missing.isEmpty {
                    check.items.append(Item(name: name, ok: true, detail: "active, \(me.companyName ?? "?"); token refreshed; scopes \(scopes.joined(separator: " "))"))
                    check.items.append(Self.optionalScopes(granted: scopes, name: "\(name) optional scopes"))
                } else {
                    let error = UnderstoryAPIError(code: .forbidden, requiredScope: missing.joined(separator: " "), detail: "the account granted no \(missing.joined(separator: " ")); connect it again asking for them")
                    check.items.append(Item(name: name, ok: false, detail: "missing scopes: \(missing.joined(separator: " ")) — connect it again asking for them", error: error))
                }
            } catch {
                check.items.append(Item(name: name, ok: false, detail: String(describing: error), error: error))
            }
        }
        return check
    }

    /// The scopes a sync needs, from the declarations.
    static var neededScopes: [String] {
        ResourceCatalog.current.plans.filter { $0.optionalScope == nil }.map(\.scope).reduce(into: []) { if !$0.contains($1) { $0.append($1) } }
    }

    /// Scopes a sync uses when granted and otherwise skips their resource with a notice, from the declarations.
    static var optionalScopes: [(scope: String, resource: Resource)] {
        ResourceCatalog.current.plans.compactMap { plans in plans.optionalScope.map { ($0, plans.resource) } }
    }

    /// Never a failure: says which optional resources are synced and which are skipped.
    static func optionalScopes(granted: [String], name: String) -> Item {
        let verdicts = optionalScopes.map { scope, resource in
            granted.contains(scope)
                ? "\(scope) granted: \(resource) are synced"
                : "\(scope) not granted (optional): \(resource) are skipped — tick it on the integration key and add it to UNDERSTORY_SCOPES to sync them"
        }
        return Item(name: name, ok: true, detail: verdicts.joined(separator: "; "))
    }

    /// The database and schema verdicts.
    private static func databaseItems(_ database: PostgresConfiguration, logger: Logger) async -> [Item] {
        var check = HealthCheck()
        do {
            try await PostgresConnection.withConnection(database, logger: logger) { connection in
                let version = try await connection.execute("SELECT current_setting('server_version') AS v, current_database() AS d").rows[0]
                check.items.append(Item(name: "database", ok: true, detail: "PostgreSQL \(version["v"].string ?? "?"), database \(version["d"].string ?? "?")"))
                do {
                    let status = try await Schema.requireCurrent(on: connection)
                    check.items.append(Item(name: "schema", ok: true, detail: "current (version \(status.appliedVersions.last ?? 0))"))
                } catch {
                    check.items.append(Item(name: "schema", ok: false, detail: String(describing: error), error: error))
                }
            }
        } catch {
            check.items.append(Item(name: "database", ok: false, detail: String(describing: error), error: error))
        }
        return check.items
    }
}
