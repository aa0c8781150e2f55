import PostgresClient
import UnderstoryAPI

/// Turns decoded API items into staging rows (COPY text format), column for column with
/// ``TableSpec``. Required fields that the client accepts as optional are checked here, so a bad
/// item stops its batch with an error naming the resource, the id and the field.
enum StagedRows {
    static func append(_ item: Fetched<Order>, companyID: String, to buffer: inout CopyBuffer) throws {
        let order = item.model
        guard let status = order.status else { throw missing("orders", order.id, "status") }
        let customer = order.customer
        let amount = order.totals?.amount
        buffer.appendRow([
            companyID, order.id, order.number, status.rawValue, order.paymentStatus?.rawValue,
            customer?.customerType?.rawValue, customer?.fullName ?? customer?.name, customer?.companyName, customer?.email,
            customer?.phone, customer?.address?.country, order.origin?.type, order.origin?.id,
            amount?.currency, amount?.majorUnitsText, amount.map { String($0.value) },
            order.totals?.discount?.majorUnitsText, order.totals?.vatAmount?.majorUnitsText,
            order.createdAt.rfc3339, order.updatedAt.rfc3339, item.raw,
        ])
    }

    static func append(_ item: Fetched<Booking>, companyID: String, to buffer: inout CopyBuffer) throws {
        let booking = item.model
        guard let status = booking.status else { throw missing("bookings", booking.id, "status") }
        let customer = booking.customer
        buffer.appendRow([
            companyID, booking.id, status.rawValue, booking.eventID, booking.experienceID,
            customer?.customerType?.rawValue, customer?.fullName ?? customer?.name, customer?.companyName, customer?.email,
            customer?.phone, customer?.address?.country, booking.source, booking.locale,
            booking.createdAt.rfc3339, booking.updatedAt.rfc3339, item.raw,
        ])
    }

    static func append(_ item: Fetched<Event>, companyID: String, to buffer: inout CopyBuffer) throws {
        let event = item.model
        guard let state = event.state else { throw missing("events", event.id, "state") }
        let first = event.sessions?.first
        buffer.appendRow([
            companyID, event.id, state.rawValue, event.visibility?.rawValue, event.experienceID,
            event.capacity?.total.map(String.init), event.capacity?.reserved.map(String.init),
            first?.startTime?.description, first?.timezone, event.sessions.map { String($0.count) },
            event.createdAt.rfc3339, event.updatedAt.rfc3339, item.raw,
        ])
    }

    static func append(_ item: Fetched<Experience>, companyID: String, to buffer: inout CopyBuffer) throws {
        let experience = item.model
        guard let state = experience.state else { throw missing("experiences", experience.id, "state") }
        buffer.appendRow([
            companyID, experience.id, experience.type?.rawValue, state.rawValue, experience.name,
            experience.createdAt.rfc3339, experience.updatedAt.rfc3339, item.raw,
        ])
    }

    static func append(
        lineItems: [Fetched<LineItem>], orderID: String, companyID: String, to buffer: inout CopyBuffer
    ) throws {
        for (index, item) in lineItems.enumerated() {
            let line = item.model
            guard let quantity = line.quantity else { throw missing("order line items", "\(orderID)#\(index + 1)", "quantity") }
            buffer.appendRow([
                companyID, orderID, String(index + 1), line.productType?.rawValue, line.productID, line.details?.experienceID,
                String(quantity), line.unitPrice?.currency, line.unitPrice?.majorUnitsText, line.unitPrice.map { String($0.value) },
                line.unitVATAmount?.majorUnitsText, item.raw,
            ])
        }
    }

    static func append(refunds: [Fetched<Refund>], orderID: String, companyID: String, to buffer: inout CopyBuffer) throws {
        for item in refunds {
            let refund = item.model
            guard let status = refund.status else { throw missing("order refunds", refund.id, "status") }
            guard let created = refund.createdAt else { throw missing("order refunds", refund.id, "created_at") }
            buffer.appendRow([
                companyID, orderID, refund.id, status.rawValue, refund.transactionID, refund.amount?.currency,
                refund.amount?.majorUnitsText, refund.amount.map { String($0.value) }, created.rfc3339, created.rfc3339, item.raw,
            ])
        }
    }

    static func append(
        transactions: [Fetched<Transaction>], orderID: String, companyID: String, to buffer: inout CopyBuffer
    ) throws {
        for item in transactions {
            let transaction = item.model
            guard let created = transaction.createdAt else { throw missing("order transactions", transaction.id, "created_at") }
            buffer.appendRow([
                companyID, orderID, transaction.id, transaction.status?.rawValue, transaction.provider?.rawValue,
                transaction.amount?.currency, transaction.amount?.majorUnitsText, transaction.amount.map { String($0.value) },
                transaction.details?.type, transaction.details?.giftCardID, created.rfc3339, created.rfc3339, item.raw,
            ])
        }
    }

    static func missing(_ resource: String, _ id: String, _ field: String) -> SyncError {
        SyncError(.invalidData, "the API sent \(resource) item \(id) without the required field \(field); nothing of that page was stored")
    }
}
