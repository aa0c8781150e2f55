import PostgresClient
import UnderstoryAPI

/// Turns decoded API items into staging rows (COPY text format), column for column with
/// ``TableSpec``. Required fields that the client accepts as optional, and values against their
/// column types, are checked here before anything of the item is appended: a bad item throws
/// ``ItemRejection`` and its batch goes on without it.
enum StagedRows {
    static func append(_ item: Fetched<Order>, companyID: String, to buffer: inout CopyBuffer) throws {
        let order = item.model
        let status = try ColumnRange.required(order.status, "status")
        let customer = order.customer
        let amount = order.totals?.amount
        let row: [String?] = [
            companyID, order.id, order.number, status.rawValue, order.paymentStatus?.rawValue,
            customer?.customerType?.rawValue, customer?.fullName ?? customer?.name, customer?.companyName, customer?.email,
            customer?.phone, customer?.address?.country, order.origin?.type, order.origin?.id,
            amount?.currency, try ColumnRange.numeric(amount, "totals.amount"), amount.map { String($0.value) },
            try ColumnRange.numeric(order.totals?.discount, "totals.discount"), try ColumnRange.numeric(order.totals?.vatAmount, "totals.vat_amount"),
            order.createdAt.rfc3339, order.updatedAt.rfc3339, item.raw,
        ]
        buffer.appendRow(row)
    }

    static func append(_ item: Fetched<Booking>, companyID: String, to buffer: inout CopyBuffer) throws {
        let booking = item.model
        let status = try ColumnRange.required(booking.status, "status")
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
        let state = try ColumnRange.required(event.state, "state")
        let first = event.sessions?.first
        let capacity = event.capacity
        let total = try ColumnRange.int4(capacity?.total, "capacity.total")
        let reserved = try ColumnRange.int4(capacity?.reserved, "capacity.reserved")
        // capacity_available is computed as total − reserved in an integer column too (both fit Int32 here).
        if let total = capacity?.total, let reserved = capacity?.reserved {
            _ = try ColumnRange.int4(total - reserved, "capacity (total − reserved)")
        }
        let row: [String?] = [
            companyID, event.id, state.rawValue, event.visibility?.rawValue, event.experienceID,
            total, reserved,
            first?.startTime?.description, first?.timezone, event.sessions.map { String($0.count) },
            event.createdAt.rfc3339, event.updatedAt.rfc3339, item.raw,
        ]
        buffer.appendRow(row)
    }

    static func append(_ item: Fetched<Experience>, companyID: String, to buffer: inout CopyBuffer) throws {
        let experience = item.model
        let state = try ColumnRange.required(experience.state, "state")
        buffer.appendRow([
            companyID, experience.id, experience.type?.rawValue, state.rawValue, experience.name,
            experience.createdAt.rfc3339, experience.updatedAt.rfc3339, item.raw,
        ])
    }

    /// Children throw ``ItemRejection`` naming the child; the caller stages each order's children
    /// into a buffer of their own, so a rejected order leaves nothing behind.
    static func append(
        lineItems: [Fetched<LineItem>], orderID: String, companyID: String, to buffer: inout CopyBuffer
    ) throws {
        for (index, item) in lineItems.enumerated() {
            let line = item.model
            let child = "line item \(index + 1)"
            guard let quantity = line.quantity else { throw ItemRejection("\(child): field quantity: required field is missing") }
            let row: [String?]
            do throws(ItemRejection) {
                row = [
                    companyID, orderID, String(index + 1), line.productType?.rawValue, line.productID, line.details?.experienceID,
                    try ColumnRange.int4(quantity, "quantity"), line.unitPrice?.currency, try ColumnRange.numeric(line.unitPrice, "unit_price"),
                    line.unitPrice.map { String($0.value) }, try ColumnRange.numeric(line.unitVATAmount, "unit_vat_amount"), item.raw,
                ]
            } catch {
                throw ItemRejection("\(child): \(error.reason)")
            }
            buffer.appendRow(row)
        }
    }

    static func append(refunds: [Fetched<Refund>], orderID: String, companyID: String, to buffer: inout CopyBuffer) throws {
        for item in refunds {
            let refund = item.model
            let row: [String?]
            do throws(ItemRejection) {
                let status = try ColumnRange.required(refund.status, "status")
                let created = try ColumnRange.required(refund.createdAt, "created_at")
                row = [
                    companyID, orderID, refund.id, status.rawValue, refund.transactionID, refund.amount?.currency,
                    try ColumnRange.numeric(refund.amount, "amount"), refund.amount.map { String($0.value) }, created.rfc3339, created.rfc3339, item.raw,
                ]
            } catch {
                throw ItemRejection("refund \(refund.id): \(error.reason)")
            }
            buffer.appendRow(row)
        }
    }

    static func append(
        transactions: [Fetched<Transaction>], orderID: String, companyID: String, to buffer: inout CopyBuffer
    ) throws {
        for item in transactions {
            let transaction = item.model
            let row: [String?]
            do throws(ItemRejection) {
                let created = try ColumnRange.required(transaction.createdAt, "created_at")
                row = [
                    companyID, orderID, transaction.id, transaction.status?.rawValue, transaction.provider?.rawValue,
                    transaction.amount?.currency, try ColumnRange.numeric(transaction.amount, "amount"), transaction.amount.map { String($0.value) },
                    transaction.details?.type, transaction.details?.giftCardID, created.rfc3339, created.rfc3339, item.raw,
                ]
            } catch {
                throw ItemRejection("transaction \(transaction.id): \(error.reason)")
            }
            buffer.appendRow(row)
        }
    }
}
