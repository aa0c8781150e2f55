import ArgumentParser
import Foundation
import SyncServer
import UnderstoryAPI

/// `--public-status`, shared by `serve`, `worker` and `schedule`: who may read `/metrics` when it
/// listens beyond loopback (see ``StatusAccess``).
struct StatusAccessOptions: ParsableArguments {
    @Flag(
        name: .customLong("public-status"),
        help: "Serve /metrics without a token even on a non-loopback address (else UNDERSTORY_STATUS_TOKEN is required there)."
    )
    var publicStatus = false

    /// The rule for a listener on `host`, the token read from `environment` (the token has no flag);
    /// a usage error (64) when the listener would be open beyond loopback. Called from `validate()`,
    /// so the command refuses before it starts any work.
    func access(host: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> StatusAccess {
        let token = environment[StatusAccess.tokenVariable].flatMap { $0.isEmpty ? nil : Secret($0) }
        do {
            return try StatusAccess.forListener(host: host, token: token, publicStatus: publicStatus)
        } catch let refusal as StatusAccess.Refusal {
            throw ValidationError(refusal.description)
        }
    }
}
