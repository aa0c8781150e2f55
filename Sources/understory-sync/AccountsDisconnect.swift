import ArgumentParser
import Foundation
import PostgresClient
import SyncEngine
import UnderstoryAPI

struct AccountsDisconnect: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disconnect",
        abstract: "Revoke an account's refresh token at Understory and delete it here; its synced rows stay.",
        discussion: """
            The account is kept as `disconnected` (so status still explains its rows) until connected again. To delete its
            data too, run for each table: DELETE FROM understory.<table> WHERE company_id = '<ID>'.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Company id of the account (see `accounts list`).")
    var companyID: String

    func run() async throws {
        let logger = global.makeLogger()
        let key = try? TokenKey(environment: global.environment)
        let token = try await PostgresConnection.withConnection(global.database, logger: logger) { connection in
            try await Schema.requireCurrent(on: connection)
            return try await AccountStore(connection: connection).disconnect(companyID, key: key)
        }
        var note = "its refresh token was deleted here"
        if let token {
            do {
                let api = try global.apiConfiguration()
                let revoked = try await withAPIClient(api, logger: logger) { try await $0.tokens.revoke(refreshToken: token, logger: logger) }
                note = revoked ? "its refresh token was revoked at Understory and deleted here"
                    : "its refresh token was deleted here (the issuer offers no revocation endpoint; remove the app's access in Understory Backoffice)"
            } catch {
                note = "its refresh token was deleted here but could not be revoked at Understory (\(ExitStatus.oneLine(error)))"
            }
        }
        print("disconnected company \(companyID): \(note); its synced rows are kept")
    }
}
