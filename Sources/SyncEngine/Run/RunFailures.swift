/// A run's failures grouped by the exit status each would have, ranked by
/// ``ExitStatus/precedence``: the run exits with the first class's status, and its closing lines
/// name every class with what it hit — so neither depends on which account id sorts first or
/// which sync finished first.
public struct RunFailures: Error, Sendable, CustomStringConvertible {
    /// The failures that share one exit status.
    public struct Class: Sendable {
        public var status: Int32
        /// Subject (account id, resource, check) → its one-line reason, sorted by subject.
        public var reasons: [(subject: String, reason: String)]
    }

    /// Most fundamental first; never empty.
    public let classes: [Class]
    /// What a subject is ("account", "resource", "check"), for "2 accounts (A, B)".
    public let noun: String

    /// Groups `failures`; nil when there are none.
    public init?(_ failures: [RunFailure], noun: String) {
        guard !failures.isEmpty else { return nil }
        var byStatus: [Int32: [String: String]] = [:]
        for failure in failures {
            let status = ExitStatus.code(for: failure.error), reason = ExitStatus.oneLine(failure.error)
            // One reason per subject and class; the smallest, so the order failures came in never shows.
            if let kept = byStatus[status]?[failure.subject], kept <= reason { continue }
            byStatus[status, default: [:]][failure.subject] = reason
        }
        classes = byStatus.map { status, reasons in
            Class(status: status, reasons: reasons.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        }.sorted { Self.rank($0.status) < Self.rank($1.status) }
        self.noun = noun
    }

    /// The exit status of the run: the most fundamental class's.
    public var status: Int32 { classes[0].status }

    /// One line per class, most fundamental first: `78 configuration: 1 account (A: why)`, or
    /// without the reasons (`… 1 account (A)`) under a table that already gave them.
    public func lines(reasons: Bool = true) -> [String] {
        classes.map { group in
            let count = group.reasons.count
            let shown = group.reasons.prefix(5).map { reasons ? "\($0.subject): \(Self.clipped($0.reason))" : $0.subject }
            let more = count > 5 ? ", and \(count - 5) more" : ""
            return "\(group.status) \(ExitStatus.name(of: group.status)): \(count) \(noun)\(count == 1 ? "" : "s") (\(shown.joined(separator: ", "))\(more))"
        }
    }

    public var description: String { lines().joined(separator: "; ") }

    /// The error a command throws for `failures`: the failure itself when there is exactly one (its
    /// own message), else the grouped classes; nil when nothing failed.
    public static func decisive(_ failures: [RunFailure], noun: String) -> (any Error)? {
        if failures.count == 1 { return failures[0].error }
        return RunFailures(failures, noun: noun)
    }

    /// The error deciding a `sync` or `reconcile` run's exit status: resources in internal-key
    /// mode, accounts in third-party mode.
    public static func decisive(_ outcome: SyncJob.Outcome) -> (any Error)? {
        if case .company = outcome { return decisive(outcome.failures, noun: "resource") }
        return decisive(outcome.failures, noun: "account")
    }

    /// The most fundamental of `failures` (ties: the smallest subject, then message), for a
    /// one-line report of one account.
    public static func first(_ failures: [RunFailure]) -> (any Error)? {
        failures.min { a, b in
            let ka = (rank(ExitStatus.code(for: a.error)), a.subject, ExitStatus.oneLine(a.error))
            let kb = (rank(ExitStatus.code(for: b.error)), b.subject, ExitStatus.oneLine(b.error))
            return ka < kb
        }?.error
    }

    private static func rank(_ status: Int32) -> Int {
        ExitStatus.precedence.firstIndex(of: status) ?? 0
    }

    private static func clipped(_ reason: String) -> String {
        reason.count <= 200 ? reason : String(reason.prefix(199)) + "…"
    }
}
