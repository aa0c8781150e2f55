import UnderstoryAPI

extension Tables {
    static let orders = Table<Order>(
        name: "orders",
        comment: "Orders (GET /v1/orders): what customers bought and paid. Money columns are exact major units in currency.",
        key: ["company_id", "id"],
        columns: [
            .companyID("Understory account (company) the order belongs to."),
            Column("id", "text NOT NULL", "Order id from the API.") { $0.model.id },
            Column("number", "text", "Sequential human-readable order number.") { $0.model.number },
            Column("status", "text NOT NULL", "PENDING, COMPLETED or CANCELLED (other values are kept as sent).") {
                try ColumnRange.required($0.model.status, "status").rawValue
            },
            Column("payment_status", "text", "UNPAID, PAID, PARTIALLY_PAID, REFUNDED or PARTIALLY_REFUNDED.") { $0.model.paymentStatus?.rawValue },
        ] + Column<Order>.customer(\.customer) + [
            Column("origin_type", "text", "What created the order (origin.type), e.g. a booking or a gift card purchase.") { $0.model.origin?.type },
            Column("origin_id", "text", "Id of the origin (origin.id), e.g. the booking id.") { $0.model.origin?.id },
            Column(
                "currency", "text",
                "ISO 4217 currency of totals.amount; discount_amount and vat_amount are in their own Money currency, which the API has always sent equal to it (see raw)."
            ) { $0.model.totals?.amount?.currency },
            Column("total_amount", "numeric", "totals.amount in major units (value / 10^exponent), exact.") {
                try ColumnRange.numeric($0.model.totals?.amount, "totals.amount")
            },
            Column("total_amount_minor", "bigint", "totals.amount.value as sent: integer minor units.") { $0.model.totals?.amount.map { String($0.value) } },
            Column("discount_amount", "numeric", "totals.discount in major units, exact.") {
                try ColumnRange.numeric($0.model.totals?.discount, "totals.discount")
            },
            Column("vat_amount", "numeric", "totals.vat_amount in major units, exact.") {
                try ColumnRange.numeric($0.model.totals?.vatAmount, "totals.vat_amount")
            },
            Column("created_at", "timestamp with time zone NOT NULL", "When the order was created (API created_at).") { $0.model.createdAt.rfc3339 },
            Column("updated_at", "timestamp with time zone NOT NULL", "When the order last changed (API updated_at).") { $0.model.updatedAt.rfc3339 },
            .raw("The order exactly as the API sent it."),
            .syncedAt,
            .runID,
            .deletedAt("When `understory-sync reconcile` confirmed the order gone: it was no longer listed and GET /v1/orders/{id} answered 404. Its line items, refunds and transactions were removed then; raw keeps its last version. NULL while the order exists; cleared if it comes back."),
        ]
    )

    /// Children are staged per order (``Table/append(children:parentID:companyID:to:)``); a child
    /// that cannot be stored rejects its order, naming the child.
    static let orderLineItems = Table<LineItem>(
        name: "order_line_items",
        comment: "Line items of each order (GET /v1/orders/{id}/line-items). The API gives no line id, so rows are keyed by position; they are replaced whole whenever the order changes (or reconcile finds them different) and removed when the order is confirmed deleted.",
        key: ["company_id", "order_id", "line_number"],
        columns: [
            .companyID("Understory account."),
            Column("order_id", "text NOT NULL", "The order (orders.id).") { $0.parentID },
            Column("line_number", "integer NOT NULL", "Position of the line in the API response, from 1.") { String($0.position) },
            Column("product_type", "text", "TICKET, GIFTCARD or TICKET_ADDON.") { $0.model.productType?.rawValue },
            Column("product_id", "text", "Id of the product sold (ticket variant, add-on or gift card).") { $0.model.productID },
            Column("experience_id", "text", "Experience of a ticket line (details.experience_id), when given.") { $0.model.details?.experienceID },
            Column("quantity", "integer NOT NULL", "Units sold.") { try ColumnRange.int4(try ColumnRange.required($0.model.quantity, "quantity"), "quantity") },
            Column("currency", "text", "ISO 4217 currency of unit_price.") { $0.model.unitPrice?.currency },
            Column("unit_price", "numeric", "Price per unit in major units, exact.") { try ColumnRange.numeric($0.model.unitPrice, "unit_price") },
            Column("unit_price_minor", "bigint", "unit_price.value as sent (minor units).") { $0.model.unitPrice.map { String($0.value) } },
            Column("unit_vat_amount", "numeric", "VAT per unit in major units, exact.") { try ColumnRange.numeric($0.model.unitVATAmount, "unit_vat_amount") },
            .generated("line_total", "numeric", "quantity × unit_price in major units."),
            .raw("The line item exactly as the API sent it."),
            .syncedAt,
            .runID,
        ],
        childLabel: { "line item \($0.position)" }
    )

    static let orderRefunds = Table<Refund>(
        name: "order_refunds",
        comment: "Refunds of each order (GET /v1/orders/{id}/refunds), replaced whenever the order changes (or reconcile finds them different) and removed when the order is confirmed deleted.",
        key: ["company_id", "order_id", "id"],
        columns: [
            .companyID("Understory account."),
            Column("order_id", "text NOT NULL", "The order (orders.id).") { $0.parentID },
            Column("id", "text NOT NULL", "Refund id.") { $0.model.id },
            Column("status", "text NOT NULL", "INITIATED, COMPLETED, FAILED or CANCELLED.") { try ColumnRange.required($0.model.status, "status").rawValue },
            Column("transaction_id", "text", "The transaction refunded (order_transactions.id).") { $0.model.transactionID },
            Column("currency", "text", "ISO 4217 currency of amount.") { $0.model.amount?.currency },
            Column("amount", "numeric", "Refunded amount in major units, exact.") { try ColumnRange.numeric($0.model.amount, "amount") },
            Column("amount_minor", "bigint", "amount.value as sent (minor units).") { $0.model.amount.map { String($0.value) } },
            Column("created_at", "timestamp with time zone NOT NULL", "When the refund was created.") {
                try ColumnRange.required($0.model.createdAt, "created_at").rfc3339
            },
            Column("updated_at", "timestamp with time zone NOT NULL", "The API sends no updated_at for refunds: equal to created_at.") {
                try ColumnRange.required($0.model.createdAt, "created_at").rfc3339
            },
            .raw("The refund exactly as the API sent it."),
            .syncedAt,
            .runID,
        ],
        childLabel: { "refund \($0.model.id)" }
    )

    static let orderTransactions = Table<Transaction>(
        name: "order_transactions",
        comment: "Payment transactions of each order (GET /v1/orders/{id}/transactions), replaced whenever the order changes (or reconcile finds them different) and removed when the order is confirmed deleted.",
        key: ["company_id", "order_id", "id"],
        columns: [
            .companyID("Understory account."),
            Column("order_id", "text NOT NULL", "The order (orders.id).") { $0.parentID },
            Column("id", "text NOT NULL", "Transaction id.") { $0.model.id },
            Column("status", "text", "Transaction status as sent by the API.") { $0.model.status?.rawValue },
            Column("provider", "text", "Payment provider as sent by the API.") { $0.model.provider?.rawValue },
            Column("currency", "text", "ISO 4217 currency of amount.") { $0.model.amount?.currency },
            Column("amount", "numeric", "Amount in major units, exact.") { try ColumnRange.numeric($0.model.amount, "amount") },
            Column("amount_minor", "bigint", "amount.value as sent (minor units).") { $0.model.amount.map { String($0.value) } },
            Column("details_type", "text", "details.type, e.g. a card or gift card payment.") { $0.model.details?.type },
            Column("gift_card_id", "text", "details.gift_card_id for gift card payments.") { $0.model.details?.giftCardID },
            Column("created_at", "timestamp with time zone NOT NULL", "When the transaction was created.") {
                try ColumnRange.required($0.model.createdAt, "created_at").rfc3339
            },
            Column("updated_at", "timestamp with time zone NOT NULL", "The API sends no updated_at for transactions: equal to created_at.") {
                try ColumnRange.required($0.model.createdAt, "created_at").rfc3339
            },
            .raw("The transaction exactly as the API sent it."),
            .syncedAt,
            .runID,
        ],
        childLabel: { "transaction \($0.model.id)" }
    )
}

extension Resource {
    public static let orders = Resource("orders")
}

extension Order: SyncedRecord {
    var changedAt: Timestamp? { updatedAt }

    static func fetch(id: String, _ context: PlanContext) async throws -> Fetched<Order> {
        try await context.client.order(id: id, logger: context.logger)
    }
}

extension Declarations {
    static let orders = SyncedResource<Order>(
        resource: .orders, scope: "order.read", table: Tables.orders,
        traversal: .updatedAt { client, query in client.orders(query) },
        children: { context in OrderChildren(context: context) },
        childTables: [(Tables.orderLineItems.spec, "order_id"), (Tables.orderRefunds.spec, "order_id"), (Tables.orderTransactions.spec, "order_id")]
    )
}
