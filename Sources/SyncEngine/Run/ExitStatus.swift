import PostgresClient
import UnderstoryAPI

/// The only place errors become exit statuses (documented in `--help` and README). The engine
/// records each run's status in `understory.sync_runs.exit_status`; the command line exits with it.
public enum ExitStatus {
    public static let success: Int32 = 0
    public static let failure: Int32 = 1
    public static let usage: Int32 = 64
    public static let dataError: Int32 = 65
    public static let unavailable: Int32 = 69
    public static let temporary: Int32 = 75
    public static let noPermission: Int32 = 77
    public static let configuration: Int32 = 78

    /// Which status a run exits with when its accounts, resources or checks end differently: the
    /// most fundamental first, so a scheduler never sees 75 ("retry later") while something needs a
    /// person. An unexpected error, then bad usage, configuration (wrong for every account),
    /// authentication or reconnection (one account needs its owner), unreachable, rejected items,
    /// temporary; an interrupted run (0) only when nothing else failed. ``RunFailures`` applies it.
    public static let precedence: [Int32] = [failure, usage, configuration, noPermission, unavailable, dataError, temporary, success]

    /// What each status means, in a run's closing lines.
    public static func name(of status: Int32) -> String {
        switch status {
        case usage: "usage"
        case dataError: "items rejected or invalid data"
        case unavailable: "unreachable"
        case temporary: "temporary"
        case noPermission: "authentication or reconnect needed"
        case configuration: "configuration"
        case success: "interrupted"
        default: "unexpected error"
        }
    }

    public static func code(for error: any Error) -> Int32 {
        switch error {
        case let failures as RunFailures:
            return failures.status
        case let error as SyncError:
            switch error.code {
            case .lockHeld, .lockTimeout: return temporary
            case .schemaNotMigrated: return configuration
            case .invalidData: return dataError
            case .itemsRejected: return dataError
            case .invalidArguments: return usage
            case .interrupted: return success
            case .tokenKeyInvalid: return configuration
            case .unknownAccount: return usage
            case .accountNotActive, .accountMismatch: return noPermission
            default: return failure
            }
        case let error as UnderstoryAPIError:
            switch error.code {
            case .missingConfiguration, .invalidConfiguration: return configuration
            case .authenticationFailed, .forbidden, .reconnectRequired, .authorizationFailed: return noPermission
            case .invalidResponse: return dataError
            case .unreachable, .serverError: return unavailable
            case .retryBudgetExhausted, .rateLimited, .cursorRejected, .cursorLoop: return temporary
            default: return failure
            }
        case is WebhookSignatureError:
            return configuration
        case let error as PostgresError:
            if error.sqlState == .lockNotAvailable { return temporary }
            switch error.code {
            case .invalidConnectionString: return configuration
            case .connectionFailed, .connectionLost:
                if error.sqlState == .invalidPassword || error.message.contains("password authentication failed") { return configuration }
                return unavailable
            default: return failure
            }
        default:
            return failure
        }
    }

    /// The error's description on one line.
    public static func oneLine(_ error: any Error) -> String {
        String(describing: error).split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}
