import ArgumentParser
import Foundation
import Logging
import SyncEngine
import UnderstoryAPI

struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Verify credentials, scopes, the account, the database and its schema; say exactly what is wrong."
    )

    @OptionGroup var global: GlobalOptions

    @OptionGroup var accounts: AccountSelection

    func run() async throws {
        let logger = global.makeLogger()
        let report: HealthCheck
        if let selection = accounts.selection {
            report = await checkAccounts(selection, logger: logger)
        } else {
            report = await checkInternalKey(logger: logger)
        }
        for item in report.items {
            print("\(item.ok ? "ok  " : "FAIL") \(item.name): \(item.detail)")
        }
        if let error = RunFailures.decisive(report.failures, noun: "check") { throw error }
    }

    private func checkAccounts(_ selection: AccountSync.Selection, logger: Logger) async -> HealthCheck {
        let database = global.database
        do {
            return try await global.syncJob(logger: logger).withAccounts { accounts in
                await HealthCheck.run(accounts: accounts, selection: selection, setupError: nil, database: database, logger: logger)
            }
        } catch {
            return await HealthCheck.run(accounts: nil, selection: selection, setupError: error, database: database, logger: logger)
        }
    }

    private func checkInternalKey(logger: Logger) async -> HealthCheck {
        let report: HealthCheck
        do {
            let api = try global.apiConfiguration()
            report = try await UnderstoryClient.withClient(api, logger: logger) { client in
                await HealthCheck.run(client: client, clientError: nil, database: global.database, logger: logger)
            }
        } catch {
            report = await HealthCheck.run(client: nil, clientError: error, database: global.database, logger: logger)
        }
        return report
    }
}
