import Foundation

/// Who holds a lease: `host:pid:random`, unique per worker process (and per ``FleetWorker`` in
/// one process), readable in `status`.
public struct LeaseOwner: Sendable, Hashable, CustomStringConvertible {
    public let name: String

    public init(_ name: String) {
        self.name = name
    }

    /// `host:pid:` and 8 random hex digits.
    public static func current() -> LeaseOwner {
        let random = String(UInt32.random(in: .min ... .max), radix: 16)
        let padded = String(repeating: "0", count: 8 - random.count) + random
        return LeaseOwner("\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier):\(padded)")
    }

    public var description: String { name }
}
