import ArgumentParser
import Foundation
import SyncEngine
import UnderstoryAPI

struct AccountsDisconnect: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disconnect",
        abstract: "Delete an account's webhook subscriptions, revoke its refresh token at Understory and delete it here; its synced rows stay.",
        discussion: """
            The account is kept as `disconnected` (so status still explains its rows) until connected again. To delete its \
            data too, run for each table: DELETE FROM understory.<table> WHERE company_id = '<ID>'.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Company id of the account (see `accounts list`).")
    var companyID: String

    func run() async throws {
        let logger = global.makeLogger()
        let (outcome, subscriptions) = try await AccountDisconnection.disconnect(
            companyID, database: global.database, key: try? TokenKey(environment: global.environment),
            api: Result { try global.apiConfiguration() }, logger: logger
        )
        let note = switch outcome {
        case .deleted: "its refresh token was deleted here"
        case .revoked: "its refresh token was revoked at Understory and deleted here"
        case .revocationUnsupported:
            "its refresh token was deleted here (the issuer offers no revocation endpoint; remove the app's access in Understory Backoffice)"
        case .revocationFailed(let error):
            "its refresh token was deleted here but could not be revoked at Understory (\(ExitStatus.oneLine(error)))"
        }
        print("disconnected company \(companyID): \(note); its synced rows are kept")
        if !subscriptions.deleted.isEmpty {
            print("deleted its webhook subscriptions: \(subscriptions.deleted.joined(separator: " "))")
        }
        if let error = subscriptions.apiError, !subscriptions.notDeletedInAPI.isEmpty {
            print(
                "forgot its webhook subscriptions \(subscriptions.notDeletedInAPI.joined(separator: " ")) here, but could not delete them at Understory (\(ExitStatus.oneLine(error))): delete them in Understory Backoffice"
            )
        }
    }
}
