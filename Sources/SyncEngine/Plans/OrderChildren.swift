import PostgresClient
import UnderstoryAPI

/// Line items, refunds and transactions of orders: fetched (three calls per order, with bounded
/// concurrency) only for orders that are new or changed in this batch — or all of them with
/// `--full` — and swapped in whole, in the same transaction as the orders themselves.
struct OrderChildren {
    let context: PlanContext

    static let specs: [TableSpec] = [.orderLineItems, .orderRefunds, .orderTransactions]

    struct Children: Sendable {
        var orderID: String
        var lineItems: [Fetched<LineItem>]
        var refunds: [Fetched<Refund>]
        var transactions: [Fetched<Transaction>]
    }

    /// Runs inside the batch transaction after the orders are staged. Returns child rows written.
    func stageAndReplace(_ loader: BatchLoader, orders: [Fetched<Order>]) async throws -> Int {
        let orderIDs = context.options.full ? Array(Set(orders.map(\.model.id))) : try await loader.stagedChanges(.orders)
        guard !orderIDs.isEmpty else { return 0 }
        let fetched = try await fetch(orderIDs)
        var lineItems = CopyBuffer(), refunds = CopyBuffer(), transactions = CopyBuffer()
        for children in fetched {
            try StagedRows.append(lineItems: children.lineItems, orderID: children.orderID, companyID: context.companyID, to: &lineItems)
            try StagedRows.append(refunds: children.refunds, orderID: children.orderID, companyID: context.companyID, to: &refunds)
            try StagedRows.append(transactions: children.transactions, orderID: children.orderID, companyID: context.companyID, to: &transactions)
        }
        try await loader.stage(.orderLineItems, lineItems)
        try await loader.stage(.orderRefunds, refunds)
        try await loader.stage(.orderTransactions, transactions)
        var written = 0
        written += try await loader.replaceChildren(.orderLineItems, parentColumn: "order_id", companyID: context.companyID, parentIDs: orderIDs)
        written += try await loader.replaceChildren(.orderRefunds, parentColumn: "order_id", companyID: context.companyID, parentIDs: orderIDs)
        written += try await loader.replaceChildren(.orderTransactions, parentColumn: "order_id", companyID: context.companyID, parentIDs: orderIDs)
        return written
    }

    /// Fetches the children of `orderIDs`, at most `childConcurrency` orders at a time.
    func fetch(_ orderIDs: [String]) async throws -> [Children] {
        let client = context.client
        return try await boundedConcurrentMap(orderIDs, limit: context.options.childConcurrency) { id in
            async let lines = client.lineItems(orderID: id)
            async let refunds = client.refunds(orderID: id)
            async let transactions = client.transactions(orderID: id)
            return Children(orderID: id, lineItems: try await lines, refunds: try await refunds, transactions: try await transactions)
        }
    }
}
