import Logging
import PostgresClient
import ServiceLifecycle
import ServiceLifecycleTestKit
@testable import SyncEngine
import SyncTestSupport
import Synchronization
import Testing
import UnderstoryAPI
import UnderstorySimulator

@Suite("the page loader and its buffer, in-process")
struct PageLoaderTests {
    @Test("the buffer hands elements over in order, then the producer's error after the last one")
    func bufferDeliversInOrderThenError() async throws {
        struct Broken: Error {}
        let buffer = PageBuffer<Int>(capacity: 2)
        let producer = Task {
            for value in 1...5 { guard await buffer.send(value) else { return } }
            await buffer.finish(throwing: Broken())
        }
        var received: [Int] = []
        await #expect(throws: Broken.self) {
            while let value = try await buffer.receive() { received.append(value) }
        }
        await producer.value
        #expect(received == [1, 2, 3, 4, 5])
    }

    @Test("a full buffer holds its sender back; closing it releases the sender and refuses later sends")
    func closeReleasesWaitingSender() async throws {
        let buffer = PageBuffer<Int>(capacity: 1)
        #expect(await buffer.send(1))
        let sent = Atomic<Int>(0)
        let waiting = Task {
            let accepted = await buffer.send(2)
            sent.store(1, ordering: .sequentiallyConsistent)
            return accepted
        }
        // The second send waits for room; nothing the test does makes room, so it can only end by close().
        #expect(sent.load(ordering: .sequentiallyConsistent) == 0)
        await buffer.close()
        #expect(await waiting.value == false)
        #expect(await buffer.send(3) == false)
    }

    @Test("a complete traversal loads every page and records itself once, in its last batch's transaction")
    func completeTraversalRecordsOnce() async throws {
        try await SyncHarness.with { harness in
            try await Self.withContext(harness, batchRows: 40) { context in
                let recorded = Mutex<[Int]>([])
                let loader = Declarations.bookings.loader(context, pages: { Self.bookings(context) })
                let counts = try await loader.run(.init(complete: { connection, traversal in
                    // The batch is still open: its rows are visible here, before the commit.
                    let stored = try await connection.execute("SELECT count(*) AS n FROM understory.bookings").rows[0]["n"].decode(Int.self)
                    recorded.withLock { $0.append(contentsOf: [traversal.seenCount, stored]) }
                }))
                #expect(counts.inserted == 250)
                #expect(counts.pages == 25)
                #expect(recorded.withLock { $0 } == [250, 250])
            }
        }
    }

    @Test("graceful shutdown mid-traversal commits every page in hand (the held batch too), fetches no more, records nothing and ends interrupted")
    func gracefulShutdownCommitsWhatIsInHand() async throws {
        try await SyncHarness.with { harness in
            try await Self.withContext(harness, batchRows: 20) { context in
                let seenPages = Mutex(0)
                let recorded = Mutex(false)
                let outcome: Result<ResourceCounts, any Error> = await testGracefulShutdown { trigger in
                    // Orders have a children stage: a full batch is held back while its children are fetched.
                    let loader = Declarations.orders.loader(
                        context, pages: { Self.orders(context) },
                        endsTraversal: { _ in
                            // Signalled as the 7th page arrives: 7 pages are in hand (3 full batches, one held, and an open one).
                            if seenPages.withLock({ $0 += 1; return $0 }) == 7 { trigger.triggerGracefulShutdown() }
                            return false
                        }
                    )
                    do {
                        return .success(try await loader.run(.init(complete: { _, _ in recorded.withLock { $0 = true } })))
                    } catch {
                        return .failure(error)
                    }
                }
                guard case .failure(let error) = outcome else {
                    Issue.record("the traversal completed despite the signal: \(outcome)")
                    return
                }
                #expect((error as? SyncError)?.code == .interrupted, "\(error)")
                #expect(seenPages.withLock { $0 } == 7, "no page is fetched after the signal")
                #expect(recorded.withLock { $0 } == false, "an interrupted traversal records nothing")
                let ids = try await harness.query("SELECT id FROM understory.orders").rows.map { try $0["id"].decode(String.self) }
                #expect(ids.count == 70)
                // Every committed order came with its children, in the same transaction.
                let truth = harness.simulator.truth()
                let expectedLines = ids.reduce(0) { $0 + (truth.orderLineItems[$1]?.count ?? 0) }
                #expect(try await harness.count("order_line_items") == expectedLines)
            }
        }
    }

    /// A plan context on a connection of its own, paging 10 items at a time.
    static func withContext(_ harness: SyncHarness, batchRows: Int, _ body: (PlanContext) async throws -> Void) async throws {
        var options = SyncHarness.options()
        options.pageSize = 10
        options.batchRows = batchRows
        options.prefetchPages = 1
        try await PostgresConnection.withConnection(harness.database, logger: harness.logger) { connection in
            try await body(PlanContext(
                client: harness.client, connection: connection, companyID: Self.companyID(harness), runID: 1, options: options,
                logger: harness.logger, progress: nil
            ))
        }
    }

    /// The account's company id, as `/v1/me` names it.
    static func companyID(_ harness: SyncHarness) -> String {
        let me = String(decoding: harness.simulator.truth().me, as: UTF8.self)
        let range = me.range(of: #""company_id"\s*:\s*"([^"]+)""#, options: .regularExpression)!
        return String(me[range].split(separator: "\"")[2])
    }

    static func bookings(_ context: PlanContext) -> PageSequence<Booking> {
        context.client.bookings(ListQuery(limit: context.options.pageSize, sort: .updatedDescending))
    }

    static func orders(_ context: PlanContext) -> PageSequence<Order> {
        context.client.orders(ListQuery(limit: context.options.pageSize, sort: .updatedDescending))
    }
}
