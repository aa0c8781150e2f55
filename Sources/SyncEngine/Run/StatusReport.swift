import Foundation
import Logging
import PostgresClient

/// What `status` shows: per account and resource, the sync position, freshness and size.
public struct StatusReport: Sendable, Codable {
    public struct ResourceStatus: Sendable, Codable {
        public var companyID: String
        public var resource: String
        public var watermark: Date?
        public var lastSuccessAt: Date?
        public var lastFullPassAt: Date?
        /// Seconds since the last success (how stale the data may be), or nil if never synced.
        public var staleSeconds: Int?
        public var rows: Int
        public var lastError: String?
        public var lastErrorAt: Date?
        /// Unresolved rows of `understory.rejected_items` (items that could not be stored).
        public var rejectedItems: Int = 0
        /// The scope the key lacks, when the last run that chose this resource skipped it (cleared by a success).
        public var skippedScope: String?
        /// Why it was skipped (the token endpoint refused the scope, the token did not list it, 403, 401).
        public var skippedReason: String?
        public var skippedAt: Date?

        enum CodingKeys: String, CodingKey {
            case companyID = "company_id", resource, watermark
            case lastSuccessAt = "last_success_at", lastFullPassAt = "last_full_pass_at"
            case staleSeconds = "stale_seconds", rows
            case lastError = "last_error", lastErrorAt = "last_error_at"
            case rejectedItems = "rejected_items"
            case skippedScope = "skipped_scope", skippedReason = "skipped_reason", skippedAt = "skipped_at"
        }
    }

    public struct RunStatus: Sendable, Codable {
        public var id: Int64
        public var command: String
        public var status: String
        public var startedAt: Date
        public var finishedAt: Date?
        public var error: String?
        /// The status the run exited with (``ExitStatus``); nil while running, for abandoned runs and older rows.
        public var exitStatus: Int?

        enum CodingKeys: String, CodingKey {
            case id, command, status, error
            case startedAt = "started_at", finishedAt = "finished_at", exitStatus = "exit_status"
        }
    }

    /// A running `schedule` process.
    public struct SchedulerStatus: Sendable, Codable {
        public var host: String
        public var pid: Int
        public var cron: String
        public var timezone: String
        public var nextFireAt: Date?

        enum CodingKeys: String, CodingKey {
            case host, pid, cron, timezone, nextFireAt = "next_fire_at"
        }
    }

    /// The last finished `reconcile` of an account and what it found per resource.
    public struct ReconcileStatus: Sendable, Codable {
        public var companyID: String?
        public var run: RunStatus
        /// Resource → what drifted (`reconcile --dry-run` is not recorded).
        public var drift: [String: Drift]

        public struct Drift: Sendable, Codable, Hashable {
            public var missing: Int?
            public var stale: Int?
            public var deleted: Int?
            public var childrenFixed: Int?

            enum CodingKeys: String, CodingKey {
                case missing, stale, deleted, childrenFixed = "children_fixed"
            }
        }

        enum CodingKeys: String, CodingKey {
            case companyID = "company_id", run, drift
        }
    }

    public var schemaVersion: Int
    public var resources: [ResourceStatus]
    public var lastRun: RunStatus?
    public var runningRuns: [RunStatus]
    public var schedulers: [SchedulerStatus]
    /// Accounts connected by a third-party app (empty in internal-key mode).
    public var accounts: [Account]
    /// Per account, the last finished reconcile (none until one ran).
    public var lastReconciles: [ReconcileStatus]
    /// Third-party mode: each account's schedule and lease, and the fleet summary (nil without accounts).
    public var fleet: FleetStatus?
    /// `serve`'s webhook inbox: pending, parked and processed deliveries.
    public var webhookInbox: WebhookInbox.Summary

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version", resources, lastRun = "last_run", runningRuns = "running_runs", schedulers, accounts
        case lastReconciles = "last_reconciles"
        case fleet
        case webhookInbox = "webhook_inbox"
    }

    /// The report (`status`), read on a connection of its own.
    public static func load(database: PostgresConfiguration, logger: Logger) async throws -> StatusReport {
        try await PostgresConnection.withConnection(database, logger: logger) { try await load(from: $0) }
    }

    /// Reads the report from the database (no API call, so it works without credentials).
    public static func load(from connection: PostgresConnection) async throws -> StatusReport {
        let version = try await Schema.requireCurrent(on: connection).appliedVersions.last ?? 0
        let states = try await connection.execute(
            """
            SELECT s.company_id, s.resource, s.watermark, s.last_success_at, s.last_full_pass_at, s.last_error, s.last_error_at,
                   s.skipped_scope, s.skipped_reason, s.skipped_at,
                   extract(epoch FROM now() - s.last_success_at)::bigint AS stale,
                   CASE s.resource
            \(Resource.allCases.map { resource in
                "         WHEN '\(resource.rawValue)' THEN (SELECT count(*) FROM \(resource.plans.table.qualifiedName) t WHERE t.company_id = s.company_id\(resource.plans.table.hasDeletedAt ? " AND t._deleted_at IS NULL" : ""))"
            }.joined(separator: "\n"))
                     ELSE 0 END AS rows,
                   (SELECT count(*) FROM understory.rejected_items r
                    WHERE r.company_id = s.company_id AND r.resource = s.resource AND r.resolved_at IS NULL) AS rejected
            FROM understory.sync_state s ORDER BY s.company_id, s.resource
            """
        ).rows
        let resources = try states.map { row in
            ResourceStatus(
                companyID: try row["company_id"].decode(String.self), resource: try row["resource"].decode(String.self),
                watermark: try row["watermark"].decode(Date?.self), lastSuccessAt: try row["last_success_at"].decode(Date?.self),
                lastFullPassAt: try row["last_full_pass_at"].decode(Date?.self), staleSeconds: try row["stale"].decode(Int?.self),
                rows: try row["rows"].decode(Int.self), lastError: try row["last_error"].decode(String?.self),
                lastErrorAt: try row["last_error_at"].decode(Date?.self), rejectedItems: try row["rejected"].decode(Int.self),
                skippedScope: try row["skipped_scope"].decode(String?.self), skippedReason: try row["skipped_reason"].decode(String?.self),
                skippedAt: try row["skipped_at"].decode(Date?.self)
            )
        }
        func runs(_ sql: String) async throws -> [RunStatus] {
            try await connection.execute(sql).rows.map { row in
                RunStatus(
                    id: try row["id"].decode(Int64.self), command: try row["command"].decode(String.self),
                    status: try row["status"].decode(String.self), startedAt: try row["started_at"].decode(Date.self),
                    finishedAt: try row["finished_at"].decode(Date?.self), error: try row["error"].decode(String?.self),
                    exitStatus: try row["exit_status"].decode(Int?.self)
                )
            }
        }
        let columns = "id, command, status, started_at, finished_at, error, exit_status"
        let last = try await runs("SELECT \(columns) FROM understory.sync_runs WHERE status <> 'running' ORDER BY id DESC LIMIT 1").first
        let running = try await runs("SELECT \(columns) FROM understory.sync_runs WHERE status = 'running' ORDER BY id")
        try await SchedulerHeartbeat.removeDead(on: connection)
        let schedulers = try await connection.execute(
            "SELECT host, pid, cron, timezone, next_fire_at FROM understory.scheduler_heartbeats ORDER BY host, pid"
        ).rows.map { row in
            SchedulerStatus(
                host: try row["host"].decode(String.self), pid: try row["pid"].decode(Int.self), cron: try row["cron"].decode(String.self),
                timezone: try row["timezone"].decode(String.self), nextFireAt: try row["next_fire_at"].decode(Date?.self)
            )
        }
        let accounts = try await AccountStore(connection: connection).list()
        let reconciles = try await connection.execute(
            """
            SELECT DISTINCT ON (company_id) company_id, \(columns), counts::text AS counts
            FROM understory.sync_runs WHERE command = 'reconcile' AND status <> 'running'
            ORDER BY company_id, id DESC
            """
        ).rows.map { row in
            let counts = try JSONDecoder().decode([String: ReconcileStatus.Drift].self, from: Data((row["counts"].string ?? "{}").utf8))
            return ReconcileStatus(
                companyID: try row["company_id"].decode(String?.self),
                run: RunStatus(
                    id: try row["id"].decode(Int64.self), command: try row["command"].decode(String.self),
                    status: try row["status"].decode(String.self), startedAt: try row["started_at"].decode(Date.self),
                    finishedAt: try row["finished_at"].decode(Date?.self), error: try row["error"].decode(String?.self),
                    exitStatus: try row["exit_status"].decode(Int?.self)
                ),
                drift: counts.filter { Resource(rawValue: $0.key) != nil }
            )
        }
        let fleet = accounts.isEmpty ? nil : try await FleetStatus.load(from: connection)
        return StatusReport(
            schemaVersion: version, resources: resources, lastRun: last, runningRuns: running, schedulers: schedulers, accounts: accounts,
            lastReconciles: reconciles, fleet: fleet, webhookInbox: try await WebhookInbox(connection: connection).summary()
        )
    }
}
