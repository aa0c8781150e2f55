import Dispatch
import Foundation

/// The first SIGTERM/SIGINT asks for a graceful stop (finish the batch in hand, commit, exit 0);
/// a second one means "now": the process exits at once with 128 + the signal number, and the open
/// transaction rolls back on the server, so nothing half-written remains.
enum SecondSignal {
    private static let queue = DispatchQueue(label: "understory-sync.signals")
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []
    nonisolated(unsafe) private static var received = 0

    /// Installs the handlers once; call before starting work that handles graceful shutdown.
    static func install() {
        queue.sync {
            guard sources.isEmpty else { return }
            for signalNumber in [SIGTERM, SIGINT] {
                signal(signalNumber, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
                source.setEventHandler {
                    received += 1
                    guard received >= 2 else { return }
                    FileHandle.standardError.write(Data("understory-sync: second signal, exiting now (the open transaction rolls back)\n".utf8))
                    _exit(128 + signalNumber)
                }
                source.resume()
                sources.append(source)
            }
        }
    }
}
