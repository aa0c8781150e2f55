import SyncEngine
import Testing

@Suite("schedule's sync and reconcile take turns")
struct OneAtATimeTests {
    actor Overlap {
        private(set) var running = 0, most = 0, done = 0
        func enter() { running += 1; most = max(most, running) }
        func leave() { running -= 1; done += 1 }
    }

    @Test("jobs sharing a OneAtATime never overlap, and every one runs")
    func neverOverlap() async {
        let turns = OneAtATime()
        let overlap = Overlap()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    await turns.run {
                        await overlap.enter()
                        for _ in 0..<10 { await Task.yield() }
                        await overlap.leave()
                    }
                }
            }
        }
        #expect(await overlap.most == 1)
        #expect(await overlap.done == 20)
    }
}
