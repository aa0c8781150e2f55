import ArgumentParser
import Foundation
import PostgresClient
import SyncEngine
import UnderstoryAPI

/// The only place errors become exit statuses (documented in `--help` and README).
enum ExitStatus {
    static let success: Int32 = 0
    static let failure: Int32 = 1
    static let usage: Int32 = 64
    static let dataError: Int32 = 65
    static let unavailable: Int32 = 69
    static let temporary: Int32 = 75
    static let noPermission: Int32 = 77
    static let configuration: Int32 = 78

    /// Which status a run exits with when its accounts, resources or checks end differently: the
    /// most fundamental first, so a scheduler never sees 75 ("retry later") while something needs a
    /// person. An unexpected error, then bad usage, configuration (wrong for every account),
    /// authentication or reconnection (one account needs its owner), unreachable, rejected items,
    /// temporary; an interrupted run (0) only when nothing else failed. ``RunFailures`` applies it.
    static let precedence: [Int32] = [failure, usage, configuration, noPermission, unavailable, dataError, temporary, success]

    /// What each status means, in a run's closing lines.
    static func name(of status: Int32) -> String {
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

    static func code(for error: any Error) -> Int32 {
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
    static func oneLine(_ error: any Error) -> String {
        String(describing: error).split(whereSeparator: \.isNewline).joined(separator: " ")
    }

    /// What the root command exits with for `error`: argument-parser's own errors (usage, help,
    /// `ExitCode`, `CleanExit`) pass through; any other error prints its one-line reason on stderr
    /// and becomes ``code(for:)``.
    static func exit(for error: any Error) -> any Error {
        // argument-parser's own errors map themselves (usage 64, help 0); everything else is ours.
        if error is ExitCode || UnderstorySync.exitCode(for: error) != .failure { return error }
        return fail(error)
    }

    /// Prints the one-line reason on stderr and returns the exit code to throw.
    static func fail(_ error: any Error) -> ExitCode {
        ProgressLine.shared.clear()
        FileHandle.standardError.write(Data("understory-sync: \(oneLine(error))\n".utf8))
        return ExitCode(code(for: error))
    }
}
