/// Whose data a command acts on: the integration key's own company (internal-key mode,
/// `client_credentials`) or connected accounts (third-party mode, each with its stored refresh token).
public enum SyncScope: Sendable, Hashable {
    case internalKey
    /// The selected accounts, at most `concurrency` at once.
    case accounts(AccountSync.Selection, concurrency: Int)
}
