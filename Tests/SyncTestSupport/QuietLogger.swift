import Logging

/// A logger that drops everything, for tests that do not look at logs (those that do use
/// ``LogCapture``). The one copy for every test target.
public let quietLogger: Logger = {
    var logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
    logger.logLevel = .critical
    return logger
}()
