import ArgumentParser
import Testing

@testable import understory_sync

/// `--help` rendered in-process (ArgumentParser's `helpMessage`, the text the binary prints for
/// `--help`): no binary is spawned.
@Suite("--help (rendered in-process)")
struct HelpTests {
    @Test("--help documents the exit statuses")
    func rootHelp() {
        let help = UnderstorySync.helpMessage()
        for code in ["64", "65", "69", "75", "77", "78"] { #expect(help.contains(code), "exit status \(code) missing:\n\(help)") }
    }

    @Test("reconcile --help explains what it does")
    func reconcileHelp() {
        let help = UnderstorySync.helpMessage(for: Reconcile.self)
        #expect(help.contains("--children-days") && help.contains("_deleted_at"), "\(help)")
    }
}
