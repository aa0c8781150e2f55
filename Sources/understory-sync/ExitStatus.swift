import ArgumentParser
import Foundation
import SyncEngine

/// How the root command ends: argument-parser's errors as they are, every other error as its
/// one-line reason on stderr and its ``ExitStatus/code(for:)``.
extension ExitStatus {
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
