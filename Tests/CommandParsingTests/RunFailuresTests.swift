import ArgumentParser
import SyncEngine
import Testing
import UnderstoryAPI

@testable import understory_sync

/// One exit status when accounts (or resources) fail differently: the precedence in
/// `ExitStatus.precedence`, applied by `RunFailures` whatever the ids or the order of the failures.
@Suite("run failures: one exit status by precedence, every class named")
struct RunFailuresTests {
    /// An error no layer classifies (exit 1).
    struct Unexpected: Error, CustomStringConvertible {
        var description: String { "something nobody expected" }
    }

    /// One real error per exit status, as the engine and the API client raise them.
    static let byStatus: [(status: Int32, error: any Error)] = [
        (1, Unexpected()),
        (64, SyncError(.unknownAccount, "no connected account has the id x")),
        (78, SyncError(.tokenKeyInvalid, "UNDERSTORY_TOKEN_KEY does not open the stored refresh token")),
        (77, SyncError(.accountNotActive, "account needs to be connected again: run `understory-sync accounts connect`")),
        (69, UnderstoryAPIError(code: .unreachable, path: "/v1/orders", detail: "connection refused")),
        (65, SyncError.itemsRejected(2)),
        (75, UnderstoryAPIError(code: .retryBudgetExhausted, path: "/v1/orders", attempts: 8)),
        (0, SyncError(.interrupted, "interrupted by SIGTERM")),
    ]

    @Test("the statuses the examples stand for are the ones ExitStatus gives them")
    func examples() {
        for (status, error) in Self.byStatus {
            #expect(ExitStatus.code(for: error) == status, "\(error)")
        }
        #expect(ExitStatus.precedence == Self.byStatus.map(\.status), "the README's order")
    }

    @Test("of any two failures the more fundamental decides, in either order and whichever id sorts first")
    func pairs() throws {
        for (i, first) in Self.byStatus.enumerated() {
            for second in Self.byStatus[(i + 1)...] {
                for (idA, idB) in [("a-account", "b-account"), ("b-account", "a-account")] {
                    for failures in [
                        [RunFailure(subject: idA, error: first.error), RunFailure(subject: idB, error: second.error)],
                        [RunFailure(subject: idB, error: second.error), RunFailure(subject: idA, error: first.error)],
                    ] {
                        let grouped = try #require(RunFailures(failures, noun: "account"))
                        #expect(grouped.status == first.status, "\(first.status) over \(second.status)")
                        #expect(ExitStatus.code(for: try #require(RunFailures.decisive(failures, noun: "account"))) == first.status)
                        #expect(grouped.lines().count == 2)
                        #expect(grouped.lines()[0].hasPrefix("\(first.status) ") && grouped.lines()[0].contains(idA))
                        #expect(grouped.lines()[1].hasPrefix("\(second.status) ") && grouped.lines()[1].contains(idB))
                    }
                }
            }
        }
    }

    @Test("the closing lines are the same whatever order the failures arrive in; each class counts its accounts")
    func orderIndependent() throws {
        let failures = [
            RunFailure(subject: "acct-3", error: Self.byStatus[6].error),  // 75
            RunFailure(subject: "acct-1", error: Self.byStatus[3].error),  // 77
            RunFailure(subject: "acct-2", error: Self.byStatus[2].error),  // 78
            RunFailure(subject: "acct-4", error: Self.byStatus[3].error),  // 77
            RunFailure(subject: "acct-4", error: Self.byStatus[5].error),  // 65, same account
        ]
        let expected = try #require(RunFailures(failures, noun: "account")).lines()
        #expect(expected.map { $0.prefix(3) } == ["78 ", "77 ", "65 ", "75 "])
        #expect(expected[1].contains("2 accounts (acct-1: ") && expected[1].contains(", acct-4: "))
        #expect(expected[0].contains("1 account (acct-2: UNDERSTORY_TOKEN_KEY"))
        var shuffled = failures
        for _ in 0..<20 {
            shuffled.shuffle()
            #expect(try #require(RunFailures(shuffled, noun: "account")).lines() == expected)
            #expect(ExitStatus.oneLine(try #require(RunFailures.decisive(shuffled, noun: "account"))) == expected.joined(separator: "; "))
            #expect(ExitStatus.oneLine(try #require(RunFailures.first(shuffled))) == ExitStatus.oneLine(Self.byStatus[2].error))
        }
    }

    @Test("a single failure keeps its own message and status; no failure is no error")
    func single() {
        let only = RunFailure(subject: "orders", error: Self.byStatus[6].error)
        #expect(RunFailures.decisive([only], noun: "resource").map(ExitStatus.oneLine) == ExitStatus.oneLine(only.error))
        #expect(RunFailures.decisive([], noun: "resource") == nil)
        #expect(RunFailures([], noun: "resource") == nil)
    }

    @Test("the root command exits with the precedence's status and prints every class on one line")
    func root() {
        let failures = [
            RunFailure(subject: "b", error: Self.byStatus[3].error), RunFailure(subject: "a", error: Self.byStatus[2].error),
        ]
        let error = RunFailures.decisive(failures, noun: "account")!
        let exit = ExitStatus.exit(for: error) as? ExitCode
        #expect(exit?.rawValue == 78)
    }
}
