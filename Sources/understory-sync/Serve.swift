import ArgumentParser
import Foundation
import Logging
import PostgresClient
import ServiceLifecycle
import SyncEngine
import SyncServer
import UnderstoryAPI

/// `serve`: the webhook receiver, its inbox worker, `/healthz`, `/metrics`, and optionally the
/// polling schedule (`--cron`), in one process.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Receive Understory webhooks (POST /webhooks/understory/{endpoint}) and keep bookings, events and experiences current.",
        discussion: """
            Each delivery is verified (Standard Webhooks signature with the secret of the subscription its path names, made by \
            `webhooks subscribe` and stored sealed; or UNDERSTORY_WEBHOOK_SECRET on the plain POST /webhooks/understory), stored \
            in understory.webhook_inbox and acknowledged with 204 once committed; a worker fetches the item it names and upserts \
            it. serve listens and stores deliveries while the API does not answer. GET /healthz answers 200 while PostgreSQL answers \
            and the inbox worker makes progress; GET /metrics is Prometheus text; GET / is the status page. With --cron the polling \
            schedule (orders have no webhooks) runs in the same process. SIGTERM or SIGINT stops accepting, finishes the work in \
            hand (the message being fetched gets 10 s), and exits 0. Put the endpoint behind a TLS reverse proxy; it listens on \
            127.0.0.1 by default. On any other address GET /metrics and GET / need `Authorization: Bearer $UNDERSTORY_STATUS_TOKEN` \
            unless --public-status.
            """
    )

    static let secretVariable = "UNDERSTORY_WEBHOOK_SECRET"

    @OptionGroup var global: GlobalOptions

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on.")
    var port = 8080

    @Option(help: "Also run `sync` on this cron schedule, e.g. \"*/15 * * * *\" (UTC).")
    var cron: String?

    @Flag(name: .customLong("hold-processing"), help: .hidden)
    var holdProcessing = false

    @OptionGroup var status: StatusAccessOptions

    @OptionGroup var polling: PollingOptions

    @OptionGroup var sync: SyncArguments

    @OptionGroup var accounts: AccountSelection

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0...65535") }
        _ = try status.access(host: host, environment: global.environment)
        if let cron {
            do {
                _ = try CronExpression(cron)
            } catch {
                throw ValidationError("--cron: \(error.description)")
            }
        } else if polling.runNow || polling.reconcileCron != nil {
            throw ValidationError("--run-now and --reconcile-cron need --cron")
        }
    }
}

extension Serve {
    func run() async throws {
        let logger = global.makeLogger()
        do {
            let database = global.database
            let environment = global.environment
            let extraSecret = environment[Self.secretVariable].flatMap { $0.isEmpty ? nil : Secret($0) }
            if let extraSecret { _ = try WebhookSignature(secrets: [extraSecret]) }
            // The key opens the secrets `webhooks subscribe` stored; without one only UNDERSTORY_WEBHOOK_SECRET is used.
            let key = try environment[TokenKey.variable].flatMap { $0.isEmpty ? nil : $0 }.map { try TokenKey(text: $0) }
            try await Schema.requireCurrent(database: database, logger: logger)
            if let selection = accounts.selection {
                // Third-party mode: each delivery is verified with its own account's secrets and fetched with
                // that account's refresh token; deliveries for accounts outside the selection get 401.
                guard extraSecret == nil else {
                    throw SyncError(.invalidArguments, "\(Self.secretVariable) names no account: with --account/--all-accounts use `webhooks subscribe --account ID`")
                }
                try await global.syncJob(logger: logger).withAccounts { accountSync in
                    let selected = try await accountSync.accounts(selection).map(\.companyID)
                    let clients = AccountClients(accountSync)
                    // `--all-accounts` includes accounts connected while serving.
                    let wanted = selection == .all ? nil : Set(selected)
                    let accounts = WebhookAccounts.connected(database: database, key: accountSync.key, wanted: wanted, clients: clients, logger: logger)
                    try await serve(accounts: accounts, apiStatistics: { clients.statistics }, logger: logger) { companyID in
                        try await clients.client(for: companyID)
                    }
                }
            } else {
                let api = try global.apiConfiguration()
                try await UnderstoryClient.withClient(api, logger: logger) { client in
                    // The company comes from /v1/me, asked in the background: serve listens (and stores
                    // deliveries) while the API or its discovery does not answer.
                    let company = InternalCompany(logger: logger) {
                        guard let companyID = try await client.me(logger: logger).model.companyID else {
                            throw SyncError(.invalidData, "/v1/me named no company_id")
                        }
                        return companyID
                    }
                    let accounts = WebhookAccounts.internalKey(database: database, key: key, extraSecret: extraSecret, company: company, logger: logger)
                    try await serve(
                        accounts: accounts, apiStatistics: { [client.statistics] }, services: [company], logger: logger
                    ) { _ in client }
                }
            }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            throw ExitStatus.fail(error)
        }
    }

    /// Serves until SIGTERM: the receiver, its inbox worker (fetching with `client`) and, with `--cron`, the polling schedule.
    private func serve(
        accounts: @escaping @Sendable () async throws -> [WebhookServer.Account],
        apiStatistics: @escaping @Sendable () -> [RequestStatistics], services: [any Service] = [], logger: Logger,
        client: @escaping @Sendable (String) async throws -> UnderstoryClient
    ) async throws {
        if (try? await accounts())?.isEmpty == true {
            logger.warning(
                "no webhook secret yet: run `understory-sync webhooks subscribe` (needs \(TokenKey.variable)) or set \(Self.secretVariable); deliveries get 401 until then"
            )
        }
        var configuration = WebhookServer.Configuration()
        configuration.host = host
        configuration.port = port
        configuration.holdProcessing = holdProcessing
        configuration.statusAccess = try status.access(host: host, environment: global.environment)
        let worker = InboxWorker(database: global.database, logger: logger, client: client)
        var schedule: PollingSchedule?
        if let cron {
            schedule = try await PollingSchedule.start(cron: cron, polling: polling, global: global, sync: sync, accounts: self.accounts, logger: logger)
        }
        let server = WebhookServer(
            configuration: configuration, database: global.database, accounts: accounts, worker: worker,
            apiStatistics: apiStatistics, services: services + (schedule?.schedulers ?? []), logger: logger
        )
        let host = configuration.host
        let run = {
            try await server.run { port in
                logger.info("serving", metadata: ["address": "http://\(host):\(port)", "endpoint": "/webhooks/understory/{endpoint}"])
                // Unbuffered, so a supervisor (or a test) reading a pipe sees it at once.
                FileHandle.standardOutput.write(Data("listening on \(host):\(port)\n".utf8))
            }
        }
        if let schedule {
            try await schedule.run { _ in try await run() }
        } else {
            try await run()
        }
    }
}
