import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A finished child process: exit status, wall time from spawn to exit, its own peak RSS
/// (`VmHWM` sampled every 10 ms, so the bench's memory is never counted) and what it printed.
struct ChildRun: Sendable {
    var status: Int32
    var seconds: Double
    var peakRSSBytes: Int
    var output: String
    /// User + system CPU seconds the child used (`wait4`'s rusage).
    var cpuSeconds: Double = 0

    var peakRSSMB: Double { Double(peakRSSBytes) / 1_048_576 }
}

enum ChildProcess {
    /// Runs `executable` (a path, or a name looked up in PATH) to completion, stdout and stderr
    /// into one temporary file. The wait happens on a dedicated thread, never on the cooperative
    /// pool (the in-process simulator needs those threads to answer the child).
    /// `timeout`: the child gets SIGTERM once it has run that long (then exits as it does on SIGTERM).
    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:], timeout: Duration? = nil) async throws -> ChildRun {
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("understory-bench-\(getpid())-\(UUID().uuidString).out").path
        defer { unlink(outputPath) }
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("UNDERSTORY_") && $0.key != "DATABASE_URL" }
        env.merge(environment) { $1 }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let start = ContinuousClock.now
        let spawned = posix_spawnp(&pid, executable, &actions, nil, argv, envp)
        guard spawned == 0 else { throw BenchError("cannot start \(executable): \(String(cString: strerror(spawned)))") }
        let child = pid
        let (status, peak, cpu) = await withCheckedContinuation { (continuation: CheckedContinuation<(Int32, Int, Double), Never>) in
            let thread = Thread {
                // The child's high-water RSS is sampled from /proc while it runs: wait4's
                // ru_maxrss is not usable here, because posix_spawn's vfork makes exec record the
                // bench's own (large: the simulator's data) high-water mark as the child's.
                var status: Int32 = 0
                var usage = rusage()
                var peak = 0
                var signalled = false
                while true {
                    if let timeout, !signalled, ContinuousClock.now - start > timeout {
                        kill(child, SIGTERM)
                        signalled = true
                    }
                    peak = max(peak, Self.highWaterRSS(child))
                    let done = wait4(child, &status, WNOHANG, &usage)
                    if done == child || (done < 0 && errno != EINTR) { break }
                    usleep(10_000)
                }
                continuation.resume(returning: (status, peak, usage.cpuSeconds))
            }
            thread.start()
        }
        let elapsed = ContinuousClock.now - start
        let exitStatus: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        return ChildRun(status: exitStatus, seconds: elapsed.seconds, peakRSSBytes: peak, output: output, cpuSeconds: cpu)
    }
}

extension ChildProcess {
    /// `VmHWM` of a running process (its peak resident set so far), in bytes; 0 once it exited.
    static func highWaterRSS(_ pid: pid_t) -> Int { procStatusBytes(pid, field: "VmHWM") }

    /// A size field of `/proc/PID/status` (`VmHWM`, `VmRSS`, …) in bytes; 0 once the process exited.
    static func procStatusBytes(_ pid: pid_t, field: String) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix(field + ":") {
            let kilobytes = line.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
            return kilobytes * 1024
        }
        return 0
    }
}

extension rusage {
    /// User + system CPU seconds.
    var cpuSeconds: Double {
        Double(ru_utime.tv_sec) + Double(ru_utime.tv_usec) / 1e6 + Double(ru_stime.tv_sec) + Double(ru_stime.tv_usec) / 1e6
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension Duration {
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

/// The folder of this executable: `understory-sync` is built next to it.
enum BinaryFolder {
    static var url: URL {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: me).deletingLastPathComponent()
    }

    static func binary(_ name: String) throws -> String {
        let path = url.appendingPathComponent(name).path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw BenchError("\(path) is missing: build it first (swift build -c release)")
        }
        return path
    }
}
