import ArgumentParser
import Testing

@testable import understory_sync

/// `--help` rendered in-process, as the binary renders it: parsing `--help` throws ArgumentParser's
/// help request, whose `fullMessage(for:)` is what `main` prints with exit status 0.
@Suite("--help (rendered in-process)")
struct HelpTests {
    /// What `understory-sync ARGUMENTS` prints, and its exit status.
    static func help(_ arguments: [String]) throws -> (code: Int32, text: String) {
        do {
            _ = try UnderstorySync.parseAsRoot(arguments)
        } catch {
            return (UnderstorySync.exitCode(for: error).rawValue, UnderstorySync.fullMessage(for: error))
        }
        throw HelpNotShown(arguments: arguments)
    }

    struct HelpNotShown: Error { var arguments: [String] }

    @Test("--help documents the exit statuses and exits 0")
    func rootHelp() throws {
        let help = try Self.help(["--help"])
        #expect(help.code == 0)
        for code in ["64", "65", "69", "75", "77", "78"] { #expect(help.text.contains(code), "exit status \(code) missing:\n\(help.text)") }
    }

    @Test("reconcile --help explains what it does")
    func reconcileHelp() throws {
        let help = try Self.help(["reconcile", "--help"])
        #expect(help.code == 0)
        #expect(help.text.contains("--children-days") && help.text.contains("_deleted_at"), "\(help.text)")
    }
}
