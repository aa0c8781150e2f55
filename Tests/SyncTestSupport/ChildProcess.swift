import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A program the tests start (the built binaries, bash, promtool, chromium, dot), through
/// `posix_spawn`, never Foundation's `Process`: on Linux, Swift 6.3.1's `Process.run()` reads each
/// `/proc/self/fd` entry as a whole 256-byte `dirent` name and crashes the test process when one
/// ends at an unmapped page (swift-corelibs-foundation#5472), which many tests starting programs at
/// once (`swift test --parallel`) turn from rare into every run.
///
/// The child gets `stdin` (default `/dev/null`), its outputs as asked (collected, a file, or
/// discarded), a default signal mask and dispositions (the spawning thread may block signals), and
/// no other descriptor of the test process. Outputs are read and the exit awaited on threads of
/// their own, never on Swift's cooperative pool, which the in-process simulator needs to answer.
public final class ChildProcess: Sendable {
    /// Where a standard output of the child goes.
    public enum Output: Sendable {
        /// Collected in memory (``stdout``, ``stderr``).
        case collect
        /// Appended to a file.
        case file(String)
        case discard
    }

    public let pid: pid_t
    private let exitStatus = Completion<Int32>()
    private let outputs: [OutputReader]

    private init(pid: pid_t, outputs: [OutputReader]) {
        self.pid = pid
        self.outputs = outputs
    }

    /// What the child has printed on stdout so far ("" unless collected).
    public var stdout: String { outputs[0].text }
    /// What the child has printed on stderr so far ("" unless collected).
    public var stderr: String { outputs[1].text }

    public var isRunning: Bool { exitStatus.value == nil }

    /// Sends `signal` to the child while it runs (only to this child, by its own pid).
    public func signal(_ signal: Int32) {
        if isRunning { kill(pid, signal) }
    }

    /// Waits until the child has exited and its collected outputs are complete. The status is the
    /// exit code, or the number of the signal that ended it (as `Process.terminationStatus`).
    @discardableResult
    public func exit() async -> Int32 {
        for output in outputs { await output.finished.wait() }
        return await exitStatus.wait()
    }

    /// Starts `executable` (a path) with `arguments` and exactly `environment`.
    public static func start(
        _ executable: String, _ arguments: [String], environment: [String: String], directory: String? = nil,
        stdin: String = "/dev/null", stdout: Output = .collect, stderr: Output = .collect
    ) throws -> ChildProcess {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdin, O_RDONLY, 0)
        var readers: [OutputReader] = []
        var parentEnds: [Int32] = []
        for (fd, output) in [(Int32(1), stdout), (Int32(2), stderr)] {
            switch output {
            case .collect:
                var ends: [Int32] = [0, 0]
                guard pipe(&ends) == 0 else { throw SpawnError("pipe: \(String(cString: strerror(errno)))") }
                posix_spawn_file_actions_adddup2(&actions, ends[1], fd)
                parentEnds.append(ends[1])
                readers.append(OutputReader(fd: ends[0]))
            case .file(let path):
                posix_spawn_file_actions_addopen(&actions, fd, path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
                readers.append(OutputReader(fd: nil))
            case .discard:
                posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", O_WRONLY, 0)
                readers.append(OutputReader(fd: nil))
            }
        }
        // Every other descriptor of the test process stays out of the child (a pipe of another
        // test held open by this child would keep that test waiting for its end of file).
        try closeFrom(3, &actions)
        if let directory { try changeDirectory(directory, &actions) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        for fd in parentEnds { close(fd) }
        guard result == 0 else {
            for reader in readers { reader.abandon() }
            throw SpawnError("cannot start \(executable): \(String(cString: strerror(result)))")
        }
        let child = ChildProcess(pid: pid, outputs: readers)
        for reader in readers { reader.start() }
        Thread.detachNewThread { [child] in
            var status: Int32 = 0
            while waitpid(child.pid, &status, 0) == -1 && errno == EINTR {}
            // WIFEXITED / WEXITSTATUS / WTERMSIG, spelled out (glibc's macros are not imported).
            let endedBy = status & 0x7f
            child.exitStatus.complete(endedBy == 0 ? (status >> 8) & 0xff : endedBy)
        }
        return child
    }

    /// Starts the program and waits for it: its status and collected outputs.
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String], directory: String? = nil,
        stdin: String = "/dev/null", stdout: Output = .collect, stderr: Output = .collect
    ) async throws -> (status: Int32, stdout: String, stderr: String) {
        let child = try start(executable, arguments, environment: environment, directory: directory, stdin: stdin, stdout: stdout, stderr: stderr)
        let status = await child.exit()
        return (status, child.stdout, child.stderr)
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` and `_addchdir_np` are GNU extensions
    /// Swift does not import: looked up by name.
    private static func closeFrom(_ fd: Int32, _ actions: inout posix_spawn_file_actions_t) throws {
        typealias Function = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        let function = unsafeBitCast(try symbol("posix_spawn_file_actions_addclosefrom_np"), to: Function.self)
        guard function(&actions, fd) == 0 else { throw SpawnError("posix_spawn_file_actions_addclosefrom_np failed") }
    }

    private static func changeDirectory(_ path: String, _ actions: inout posix_spawn_file_actions_t) throws {
        typealias Function = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
        let function = unsafeBitCast(try symbol("posix_spawn_file_actions_addchdir_np"), to: Function.self)
        guard function(&actions, path) == 0 else { throw SpawnError("posix_spawn_file_actions_addchdir_np failed") }
    }

    private static func symbol(_ name: String) throws -> UnsafeMutableRawPointer {
        guard let pointer = dlsym(dlopen(nil, RTLD_NOW), name) else { throw SpawnError("\(name) is missing (glibc 2.34 or later needed)") }
        return pointer
    }
}

public struct SpawnError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// One output of a child read to its end on a thread of its own (nothing to read when not collected).
private final class OutputReader: Sendable {
    private let fd: Int32?
    private let bytes = Mutex<[UInt8]>([])
    let finished = Completion<Void>()

    init(fd: Int32?) {
        self.fd = fd
        if fd == nil { finished.complete(()) }
    }

    var text: String { String(decoding: bytes.withLock { $0 }, as: UTF8.self) }

    func start() {
        guard let fd else { return }
        Thread.detachNewThread { [self] in
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count > 0 {
                    bytes.withLock { $0 += buffer[..<count] }
                } else if count == 0 || errno != EINTR {
                    break
                }
            }
            close(fd)
            finished.complete(())
        }
    }

    /// The child never started: nothing will be written.
    func abandon() {
        if let fd { close(fd) }
        finished.complete(())
    }
}

/// A value set once, awaited by any number of tasks.
final class Completion<Value: Sendable>: Sendable {
    private let state = Mutex<(value: Value?, waiters: [CheckedContinuation<Value, Never>])>((nil, []))

    var value: Value? { state.withLock { $0.value } }

    func complete(_ value: Value) {
        let waiters = state.withLock { state in
            state.value = value
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: value) }
    }

    func wait() async -> Value {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Value? in
                if let value = state.value { return value }
                state.waiters.append(continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
