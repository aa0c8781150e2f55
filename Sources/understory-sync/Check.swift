import ArgumentParser
import Foundation
import SyncEngine
import UnderstoryAPI

struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Verify credentials, scopes, the account, the database and its schema; say exactly what is wrong."
    )

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let logger = global.makeLogger()
        let report: HealthCheck
        do {
            let api = try global.apiConfiguration()
            report = try await withAPIClient(api, logger: logger) { client in
                await HealthCheck.run(client: client, clientError: nil, database: global.database, logger: logger)
            }
        } catch {
            report = await HealthCheck.run(client: nil, clientError: error, database: global.database, logger: logger)
        }
        for item in report.items {
            print("\(item.ok ? "ok  " : "FAIL") \(item.name): \(item.detail)")
        }
        if let error = report.firstError { throw ExitStatus.fail(error) }
    }
}
