import ArgumentParser
import Foundation
import SyncEngine
import UnderstoryAPI

struct AccountsConnect: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connect",
        abstract: "Connect an Understory account: print the authorize URL, receive the redirect, store the account.",
        discussion: """
            Prints a URL to open in a browser (nothing is opened for you), where someone at the customer logs in to \
            Understory and approves the app. The browser is then redirected to a listener on 127.0.0.1 started by this \
            command; the code is exchanged (PKCE S256, state checked), /v1/me names the company, and the account is \
            stored with its refresh token sealed by UNDERSTORY_TOKEN_KEY. Connecting an account again replaces its token \
            and makes it active.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("redirect-port"), help: "Port of the redirect listener on 127.0.0.1 (default: the --redirect-uri's port, else any free port).")
    var redirectPort: Int?

    @Option(
        name: .customLong("redirect-uri"),
        help: "Redirect URI registered for the app (env UNDERSTORY_REDIRECT_URI), e.g. http://127.0.0.1:8765/callback. Default: http://127.0.0.1:<port>/callback."
    )
    var redirectURI: String?

    @Option(help: "Seconds to wait for the redirect (default 600).")
    var timeout: Int = 600

    func validate() throws {
        guard timeout >= 1 else { throw ValidationError("--timeout must be at least 1 second") }
        if let redirectPort, !(0...65535).contains(redirectPort) { throw ValidationError("--redirect-port must be 0–65535") }
    }

    func run() async throws {
        let logger = global.makeLogger()
        let api = try global.apiConfiguration()
        let key = try TokenKey(environment: global.environment)
        let uri = redirectURI ?? global.environment["UNDERSTORY_REDIRECT_URI"].flatMap { $0.isEmpty ? nil : $0 }
        let redirect = AccountConnector.Redirect(listenPort: redirectPort ?? 0, redirectURI: uri)
        let database = global.database
        let timeout = self.timeout
        let account = try await UnderstoryClient.withClient(api, logger: logger) { client in
            try await AccountConnector(database: database, client: client, key: key, logger: logger).connect(
                redirect: redirect, timeout: .seconds(timeout)
            ) { url, redirectURI in
                // Unbuffered: a script (or a test) reads the URL while this command waits.
                let text = """
                    Open this URL in a browser and approve access for understory-sync:

                      \(url)

                    Waiting up to \(timeout) s for the redirect to \(redirectURI) …

                    """
                FileHandle.standardOutput.write(Data(text.utf8))
            }
        }
        let name = account.companyName.map { " (\($0))" } ?? ""
        print("connected company \(account.companyID)\(name); scopes: \(account.scopes.joined(separator: " "))")
        print("sync it with: understory-sync sync --account \(account.companyID)")
    }
}
