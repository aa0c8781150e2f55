import InMemoryLogging
import Logging

/// Every log line of one test, in memory (swift-log's `InMemoryLogHandler`; one per test, no
/// `bootstrap`), flattened to "level message key=value… error" for secret and metadata checks.
public struct LogCapture: Sendable {
    public let handler = InMemoryLogHandler()

    public init() {}

    public func logger(level: Logger.Level = .trace) -> Logger {
        var logger = Logger(label: "test") { _ in self.handler }
        logger.logLevel = level
        return logger
    }

    public var lines: [String] {
        self.handler.entries.map { entry in
            let metadata = entry.metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            return "\(entry.level) \(entry.message) \(metadata) \(entry.error.map { "\($0)" } ?? "")"
        }
    }
}
