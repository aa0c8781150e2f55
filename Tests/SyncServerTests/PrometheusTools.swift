import Foundation
import SyncTestSupport
import Testing

/// Debian's `prometheus` package (`promtool` and the `prometheus` server), which scripts/test and
/// .ci/run install when missing; tests that need them are skipped with ``missing`` otherwise.
enum PrometheusTools {
    static let promtool = executable("promtool")
    static let prometheus = executable("prometheus")
    static let missing = "needs promtool and prometheus (Debian's `prometheus` package: scripts/test installs it as root; else apt-get install prometheus)"
    static var installed: Bool { promtool != nil && prometheus != nil }

    /// The repository's root (deploy/ lives there).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func executable(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for directory in path.split(separator: ":").map(String.init) + ["/usr/bin", "/usr/local/bin"] {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Runs `executable` to its end with `input` on stdin; returns its exit status and what it
    /// printed (stdout and stderr together).
    static func run(_ executable: String, _ arguments: [String], input: [UInt8] = [], in directory: URL? = nil) async throws -> (status: Int32, output: String) {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("promtool-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let inputFile = scratch.appendingPathComponent("stdin"), outputFile = scratch.appendingPathComponent("output")
        try Data(input).write(to: inputFile)
        FileManager.default.createFile(atPath: outputFile.path, contents: nil)
        let run = try await ChildProcess.run(
            executable, arguments, environment: ProcessInfo.processInfo.environment, directory: directory?.path, stdin: inputFile.path,
            stdout: .file(outputFile.path), stderr: .file(outputFile.path)
        )
        return (run.status, try String(contentsOf: outputFile, encoding: .utf8))
    }

    /// The metric names an exposition declares (`# TYPE`), with a histogram's `_bucket`, `_sum`
    /// and `_count` series.
    static func exportedNames(_ exposition: String) -> Set<String> {
        var names = Set<String>()
        for line in exposition.split(separator: "\n") where line.hasPrefix("# TYPE ") {
            let fields = line.split(separator: " ")
            guard fields.count >= 4 else { continue }
            let name = String(fields[2])
            names.insert(name)
            if fields[3] == "histogram" { names.formUnion(["_bucket", "_sum", "_count"].map { name + $0 }) }
        }
        return names
    }

    /// The `understory_…` metric names a PromQL expression (or any text of them) mentions.
    static func metricNames(in text: String) -> Set<String> {
        Set(text.matches(of: /understory_[a-z0-9_]+/).map { String($0.output) })
    }
}
