import Foundation
import Hummingbird

/// Faults aimed at one path or one new item (``SimulatorFaults/pathFaults``,
/// ``SimulatorFaults/notFoundAfterCreation``): a 500 on one booking's tickets, a booking whose GET
/// answers 404 for its first seconds.
extension Simulator {
    /// Answers `/v1` requests whose path matches `pattern` with `status` from now on (replacing a
    /// fault with the same pattern).
    public func failRequests(matching pattern: String, status: Int) {
        self.updateFaults { faults in
            faults.pathFaults.removeAll { $0.pattern == pattern }
            faults.pathFaults.append(PathFault(pattern: pattern, status: status))
        }
    }

    /// Stops the fault on `pattern` (nil: every path fault).
    public func clearPathFaults(matching pattern: String? = nil) {
        self.updateFaults { faults in faults.pathFaults.removeAll { pattern == nil || $0.pattern == pattern } }
    }

    /// Remembers when `mutate` created items, while the 404 window is on.
    func noteCreations(_ summary: SimulatorMutationSummary) {
        let ids = summary.created.values.flatMap { $0 }
        guard !ids.isEmpty else { return }
        let now = self.now
        self.runtime.withLock { runtime in
            guard runtime.faults.notFoundAfterCreation != nil else { return }
            for id in ids { runtime.creations[id] = now }
        }
    }

    /// Whether `path` (`/v1/{resource}/{id}[/…]`) names an item still inside its 404 window.
    func isInNotFoundWindow(_ path: String) -> Bool {
        let parts = path.split(separator: "/")
        guard parts.count >= 3 else { return false }
        let id = String(parts[2]), now = self.now
        return self.runtime.withLock { runtime in
            guard let window = runtime.faults.notFoundAfterCreation, let created = runtime.creations[id] else { return false }
            return now - created < window
        }
    }

    /// The answer a path fault or the 404 window gives `path`, if any.
    func injectedPathFault(_ path: String, faults: SimulatorFaults) -> Response? {
        if let fault = faults.pathFaults.first(where: { $0.matches(path) }) {
            let status = HTTPResponse.Status(code: fault.status)
            guard fault.status == 429 else { return Reply.error(status, "INJECTED_FAULT", "injected \(fault.status) for \(fault.pattern)") }
            var response = Reply.error(.tooManyRequests, "TOO_MANY_REQUESTS", "rate limit exceeded; back off before retrying")
            if let seconds = faults.retryAfterSeconds { response.headers[.retryAfter] = String(seconds) }
            return response
        }
        if self.isInNotFoundWindow(path) {
            return Reply.error(.notFound, "NOT_FOUND", "no item at \(path) (yet)")
        }
        return nil
    }
}

extension SimulatorResponder {
    /// `POST /_admin/faults?path=PATTERN&status=500` adds (or replaces) a path fault;
    /// `status=none` removes it; `path_faults=none` removes all; `not_found_after_create=SECONDS`
    /// (`none` clears) sets the 404 window of new items.
    static func updatePathFaults(_ faults: inout SimulatorFaults, query: [String: String]) {
        if query["path_faults"] == "none" { faults.pathFaults = [] }
        if let pattern = query["path"], !pattern.isEmpty, let status = query["status"] {
            faults.pathFaults.removeAll { $0.pattern == pattern }
            if let code = Int(status) { faults.pathFaults.append(PathFault(pattern: pattern, status: code)) }
        }
        if let text = query["not_found_after_create"] {
            faults.notFoundAfterCreation = Double(text).map { .milliseconds(Int64($0 * 1000)) }
        }
    }

    /// The path faults and the 404 window, as members of the faults object.
    static func describePathFaults(_ faults: SimulatorFaults, into w: inout JSONWriter) {
        w.key("path_faults")
        w.beginArray()
        for fault in faults.pathFaults {
            w.beginObject()
            w.key("path")
            w.string(fault.pattern)
            w.key("status")
            w.int(fault.status)
            w.endObject()
        }
        w.endArray()
        w.key("not_found_after_create_ms")
        if let window = faults.notFoundAfterCreation { w.int(Int(milliseconds(window))) } else { w.null() }
    }
}
