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
    public var firstError: (any Error)? { items.first { !$0.ok }?.error }

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
                let needed = ["order.read", "booking.read", "event.read", "experience.read"]
                let missing = report.granted.map { granted in needed.filter { !granted.contains($0) } } ?? []
                if missing.isEmpty {
                    check.items.append(Item(name: "scopes", ok: true, detail: "all needed scopes present (\(needed.joined(separator: " ")))"))
                } else {
                    let error = UnderstoryAPIError(code: .forbidden, requiredScope: missing.joined(separator: " "), detail: "missing scopes: \(missing.joined(separator: " ")); tick them on the integration key in Understory Backoffice")
                    check.items.append(Item(name: "scopes", ok: false, detail: "missing: \(missing.joined(separator: " ")) — tick them on the integration key in Understory Backoffice", error: error))
                }
                let me = try await client.me(logger: logger).model
                check.items.append(Item(name: "account", ok: true, detail: "company \(me.companyName ?? "?") (\(me.companyID ?? "?"))"))
            } catch {
                check.items.append(Item(name: "api", ok: false, detail: String(describing: error), error: error))
            }
        } else if let clientError {
            check.items.append(Item(name: "configuration", ok: false, detail: String(describing: clientError), error: clientError))
        }
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
        return check
    }
}
