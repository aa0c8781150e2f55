import PostgresClient
import Synchronization
import UnderstoryAPI

/// Line items, refunds and transactions of orders: fetched (three calls per order, with bounded
/// concurrency) only for orders that are new or changed in this batch — or all of them with
/// `--full` — and swapped in whole, in the same transaction as the orders themselves.
///
/// Fetching overlaps loading: when a batch of orders is complete, ``prefetch(_:)`` starts
/// fetching the children of the orders that are new or newer than the stored row (one indexed
/// lookup, outside any transaction), while the previous batch loads. Inside the batch's
/// transaction ``stage(_:parents:)`` still decides exactly which orders changed (staged against
/// stored, `raw` compared, ``NewestWins``) and stages the children of exactly those, replaced after
/// the orders' upsert for the orders that stand (``ChildStage``); any the prefetch did not guess (same `updated_at`, different content) are fetched there and
/// then, and prefetched children of orders that turn out unchanged are dropped.
struct OrderChildren: ParentChildStage {
    typealias Parent = Order
    let context: PlanContext
    /// Prefetches in the order their batches will load (the page loader prepares and loads in order).
    private let queue = PrefetchQueue()

    init(context: PlanContext) {
        self.context = context
    }

    var tables: [TableSpec] { [Tables.orderLineItems.spec, Tables.orderRefunds.spec, Tables.orderTransactions.spec] }

    struct Children: Sendable {
        var orderID: String
        var lineItems: [Fetched<LineItem>]
        var refunds: [Fetched<Refund>]
        var transactions: [Fetched<Transaction>]
        /// Why the children cannot be stored, when the API sent one that does not decode.
        var undecodable: String? = nil
        /// The order answered 404 meanwhile: no children (a deletion check confirms it gone later).
        var gone = false
    }

    typealias Prefetch = Task<[String: Children], any Error>

    final class PrefetchQueue: Sendable {
        let tasks = Mutex<[Prefetch]>([])

        func append(_ task: Prefetch) { tasks.withLock { $0.append(task) } }
        var last: Prefetch? { tasks.withLock { $0.last } }
        func popFirst() -> Prefetch? { tasks.withLock { $0.isEmpty ? nil : $0.removeFirst() } }
        func cancelAll() {
            for task in tasks.withLock({ tasks in defer { tasks.removeAll() }; return tasks }) { task.cancel() }
        }
    }

    /// Called once per batch, in load order, before the previous batch loads: starts fetching the
    /// children of the orders that are probably new or changed. Batches fetch one after another,
    /// so at most `childConcurrency` orders are fetched at once, as before.
    func prefetch(_ orders: [Fetched<Order>]) async throws {
        let ids = try await likelyChanged(orders)
        let previous = queue.last
        let fetchAll: @Sendable ([String]) async throws -> [Children] = { [self] in try await fetch($0) }
        queue.append(Task {
            _ = await previous?.result
            try Task.checkCancellation()
            guard !ids.isEmpty else { return [:] }
            var byID: [String: Children] = [:]
            for children in try await fetchAll(ids) { byID[children.orderID] = children }
            return byID
        })
    }

    /// Stops prefetches whose batches will not load (the traversal failed).
    func cancelPrefetches() {
        queue.cancelAll()
    }

    /// Orders of the batch whose stored row is missing or older (all of them with `--full`).
    private func likelyChanged(_ orders: [Fetched<Order>]) async throws -> [String] {
        guard !orders.isEmpty else { return [] }
        var newest: [String: Timestamp] = [:]
        for order in orders where newest[order.model.id].map({ order.model.updatedAt > $0 }) ?? true {
            newest[order.model.id] = order.model.updatedAt
        }
        if context.options.full { return Array(newest.keys) }
        let ids = Array(newest.keys)
        return try await context.loader.missingOrOlder(parentSpec, companyID: context.companyID, ids: ids, updatedAts: ids.map { newest[$0]! })
    }

    /// Runs inside the batch transaction after the orders are staged, before their upsert. An order
    /// whose children cannot be stored (one does not decode, lacks a required field or has a value
    /// too large for its column) is taken out of the batch and rejected, naming the child; the
    /// other orders' children are staged, replaced after the upsert (``ChildStage``).
    func stage(_ loader: BatchLoader, parents orders: [Fetched<Order>]) async throws -> StagedChildren {
        let prefetched = try await queue.popFirst()?.value ?? [:]
        let orderIDs = context.options.full ? Array(Set(orders.map(\.model.id))) : try await loader.stagedChanges(parentSpec)
        guard !orderIDs.isEmpty else { return StagedChildren() }
        let missing = orderIDs.filter { prefetched[$0] == nil }
        let fetched = orderIDs.compactMap { prefetched[$0] } + (missing.isEmpty ? [] : try await fetch(missing))
        return try await stageRows(loader, rows: rows(fetched), parentIDs: orderIDs, parents: orders)
    }

    var resource: Resource { .orders }
    var parentSpec: TableSpec { Tables.orders.spec }
    var parentColumn: String { "order_id" }

    func fetchRows(_ orderIDs: [String]) async throws -> ChildRows {
        try await rows(fetch(orderIDs))
    }

    /// The rows of fetched children; each order's children are staged apart first, so a rejected
    /// order leaves no rows behind.
    private func rows(_ fetched: [Children]) throws -> ChildRows {
        var rows = ChildRows(requests: 3 * fetched.count)
        let companyID = context.companyID
        for children in fetched {
            if children.gone {
                rows.gone.append(children.orderID)
                continue
            }
            var lines = CopyBuffer(reservingCapacity: 0), refunds = CopyBuffer(reservingCapacity: 0), transactions = CopyBuffer(reservingCapacity: 0)
            do {
                if let reason = children.undecodable { throw ItemRejection(reason) }
                try Tables.orderLineItems.append(children: children.lineItems, parentID: children.orderID, companyID: companyID, to: &lines)
                try Tables.orderRefunds.append(children: children.refunds, parentID: children.orderID, companyID: companyID, to: &refunds)
                try Tables.orderTransactions.append(children: children.transactions, parentID: children.orderID, companyID: companyID, to: &transactions)
            } catch let rejection as ItemRejection {
                rows.rejected.append((children.orderID, rejection.reason))
                continue
            }
            rows.append(lines, to: Tables.orderLineItems.spec)
            rows.append(refunds, to: Tables.orderRefunds.spec)
            rows.append(transactions, to: Tables.orderTransactions.spec)
            rows.sanitized += children.lineItems.count(where: \.sanitized) + children.refunds.count(where: \.sanitized)
                + children.transactions.count(where: \.sanitized)
        }
        return rows
    }

    /// Fetches the children of `orderIDs`, at most `childConcurrency` orders at a time.
    func fetch(_ orderIDs: [String]) async throws -> [Children] {
        let client = context.client
        return try await boundedConcurrentMap(orderIDs, limit: context.options.childConcurrency) { id in
            async let lines = client.lineItems(orderID: id)
            async let refunds = client.refunds(orderID: id)
            async let transactions = client.transactions(orderID: id)
            do {
                return Children(orderID: id, lineItems: try await lines, refunds: try await refunds, transactions: try await transactions)
            } catch let error as UnderstoryAPIError where error.code == .notFound {
                return Children(orderID: id, lineItems: [], refunds: [], transactions: [], gone: true)
            } catch let error as UnderstoryAPIError where error.code == .invalidResponse {
                // A child that does not decode: the order is rejected, the rest of the batch loads.
                let which = error.path.map { $0.split(separator: "/").last.map(String.init) ?? $0 } ?? "children"
                let child = error.itemID.map { " \($0)" } ?? ""
                let reason = "\(which)\(child): " + UndecodableItem(error: error, raw: "").reason
                return Children(orderID: id, lineItems: [], refunds: [], transactions: [], undecodable: reason)
            }
        }
    }
}
