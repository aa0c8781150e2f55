import ArgumentParser

/// `accounts`: the companies a third-party app syncs (authorization_code + refresh tokens).
struct Accounts: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Connect, list and disconnect Understory accounts (third-party mode).",
        discussion: """
            A third-party app (UNDERSTORY_CLIENT_ID/UNDERSTORY_CLIENT_SECRET of the app, not an internal key) acts for \
            other Understory companies with their consent. `accounts connect` runs the authorization-code flow with \
            PKCE and stores the company's refresh token sealed with UNDERSTORY_TOKEN_KEY (AES-256-GCM); then \
            `sync --account ID` or `sync --all-accounts` syncs them into the same tables, keyed by company_id.
            """,
        subcommands: [AccountsConnect.self, AccountsList.self, AccountsDisconnect.self]
    )
}
