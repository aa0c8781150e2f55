import Foundation
import SyncEngine

/// A live progress line on stderr (records, pages, records/s), shown only on a terminal and
/// redrawn at most a few times a second. Log lines clear it first so the two never mix.
final class ProgressLine: ProgressReporter, @unchecked Sendable {
    // Invariant: all mutable state is accessed under `lock`.
    static let shared = ProgressLine()

    private let lock = NSLock()
    private var enabled = false
    private var records = 0
    private var pages = 0
    private var started = Date()
    private var lastDraw = Date.distantPast
    private var visible = false

    func start(enabled: Bool) {
        lock.withLock {
            self.enabled = enabled && isatty(STDERR_FILENO) == 1
            records = 0
            pages = 0
            started = Date()
        }
    }

    func batchCommitted(resource: Resource, records: Int, pages: Int) {
        lock.withLock {
            self.records += records
            self.pages += pages
            guard enabled, Date().timeIntervalSince(lastDraw) > 0.25 else { return }
            lastDraw = Date()
            let elapsed = max(Date().timeIntervalSince(started), 0.001)
            let text = "\r\u{1B}[K\(self.records) records, \(self.pages) pages, \(Int(Double(self.records) / elapsed)) records/s"
            FileHandle.standardError.write(Data(text.utf8))
            visible = true
        }
    }

    func clear() {
        lock.withLock {
            guard visible else { return }
            FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
            visible = false
        }
    }
}
