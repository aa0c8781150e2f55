import PostgresClient
import ServiceLifecycle
import UnderstoryAPI

/// Reconcile's check of order children: whether a refund (or a changed line item or transaction)
/// moves the order's `updated_at` is not documented, so incremental sync cannot promise fresh
/// children. This fetches the children of recent orders again and replaces, per order, those that
/// differ from the stored ones in any column.
///
/// Orders go in chunks: the chunk's children are fetched first (no transaction open), then
/// compared and replaced in one transaction (rolled back in a dry run).
struct OrderChildrenAudit {
    let context: PlanContext
    var chunkSize = 100

    struct Outcome: Sendable {
        /// Orders whose children differed (and were replaced).
        var ordersFixed = 0
        var rowsWritten = 0
        var requests = 0
    }

    /// Checks the children of orders created at or after `since` plus `alsoOrders`, leaving out
    /// `except` (orders confirmed gone).
    func run(since: Timestamp, alsoOrders: Set<String>, except: Set<String>) async throws -> Outcome {
        let recent = try await context.connection.execute(
            "SELECT id FROM understory.orders WHERE company_id = $1 AND _deleted_at IS NULL AND created_at >= $2::timestamptz",
            [context.companyID, since.rfc3339]
        ).rows.map { try $0["id"].decode(String.self) }
        let orderIDs = Set(recent).union(alsoOrders).subtracting(except).sorted()
        guard !orderIDs.isEmpty else { return Outcome() }
        try await context.loader.prepare(OrderChildren.specs)
        var outcome = Outcome()
        var start = 0
        while start < orderIDs.count {
            // SIGTERM/SIGINT: the chunks done so far are committed; stop here like a sync does.
            if Task.isShuttingDownGracefully {
                throw SyncError(
                    .interrupted, "stopped by a signal after checking the children of \(start) orders; the next reconcile checks them again",
                    resource: .orders
                )
            }
            let chunk = Array(orderIDs[start..<min(start + chunkSize, orderIDs.count)])
            start += chunk.count
            let fetched = try await fetch(chunk)
            outcome.requests += 3 * chunk.count
            let fixed = try await replaceDiffering(fetched)
            outcome.ordersFixed += fixed.orders
            outcome.rowsWritten += fixed.rows
        }
        if outcome.ordersFixed > 0 {
            context.logger.info("order children differed and were replaced", metadata: ["orders": "\(outcome.ordersFixed)"])
        }
        return outcome
    }

    /// Each order's children; an order that answers 404 meanwhile is left out (the next
    /// reconcile confirms it gone).
    private func fetch(_ orderIDs: [String]) async throws -> [OrderChildren.Children] {
        let client = context.client
        return try await boundedConcurrentMap(orderIDs, limit: context.options.childConcurrency) { id -> OrderChildren.Children? in
            do {
                async let lines = client.lineItems(orderID: id)
                async let refunds = client.refunds(orderID: id)
                async let transactions = client.transactions(orderID: id)
                return OrderChildren.Children(
                    orderID: id, lineItems: try await lines, refunds: try await refunds, transactions: try await transactions
                )
            } catch let error as UnderstoryAPIError where error.code == .notFound {
                return nil
            }
        }
        .compactMap { $0 }
    }

    /// Stages the fetched children, finds the orders whose stored children differ, and replaces those.
    private func replaceDiffering(_ fetched: [OrderChildren.Children]) async throws -> (orders: Int, rows: Int) {
        guard !fetched.isEmpty else { return (0, 0) }
        let companyID = context.companyID
        var lineItems = CopyBuffer(), refunds = CopyBuffer(), transactions = CopyBuffer()
        for children in fetched {
            try Tables.orderLineItems.append(children: children.lineItems, parentID: children.orderID, companyID: companyID, to: &lineItems)
            try Tables.orderRefunds.append(children: children.refunds, parentID: children.orderID, companyID: companyID, to: &refunds)
            try Tables.orderTransactions.append(children: children.transactions, parentID: children.orderID, companyID: companyID, to: &transactions)
        }
        let orderIDs = PostgresTextArray(fetched.map(\.orderID))
        let loader = context.loader
        return try await context.inBatchTransaction { connection in
            try await loader.stage(.orderLineItems, lineItems)
            try await loader.stage(.orderRefunds, refunds)
            try await loader.stage(.orderTransactions, transactions)
            var differing = Set<String>()
            for spec in OrderChildren.specs {
                let rows = try await connection.execute(spec.childDriftSQL(parentColumn: "order_id"), [companyID, orderIDs]).rows
                for row in rows { differing.insert(try row["parent_id"].decode(String.self)) }
            }
            let ids = differing.sorted()
            var written = 0
            for spec in OrderChildren.specs {
                written += try await loader.replaceChildren(spec, parentColumn: "order_id", companyID: companyID, parentIDs: ids)
            }
            return (ids.count, written)
        }
    }
}
