import Dispatch
import Synchronization

/// All data the simulator serves. Mutated only under the simulator's lock.
struct Store: Sendable {
    let generator: DataGenerator
    var bookings: Table
    var orders: Table
    var orderChildren: [StoredOrderChildren]
    var events: Table
    var experiences: Table
    /// Marketing consents: no timestamps are served; `createdAt` orders the list.
    var marketingConsents: Table
    /// Experience index → bytes per configured language.
    var experienceLocalized: [[[UInt8]]]
    var me: [UInt8]
    /// Booking or experience id → how often its tickets or ticket variants were changed without
    /// touching it (``Simulator/changeChildren(_:id:company:)``).
    var childRevisions: [String: UInt64] = [:]
    /// Event id → the exact availability item served instead of the derived one (``Simulator/setEventAvailability(eventID:json:company:)``).
    var availabilityOverrides: [String: [UInt8]] = [:]
    /// The last instant handed out by a mutation (micros); starts at the anchor.
    var clock: Int64
    var mutationCount = 0

    init(configuration: SimulatorConfiguration, idSeed: UInt64? = nil) {
        let generator = DataGenerator(configuration: configuration, idSeed: idSeed)
        self.generator = generator
        let bookingRecords = parallelMap(count: generator.bookingCount) { generator.makeBooking($0) }
        let orderPairs = parallelMap(count: generator.orderCount) { generator.makeOrder($0) }
        let eventRecords = parallelMap(count: generator.eventCount) { generator.makeEvent($0) }
        let experiencePairs = (0..<generator.experienceCount).map { generator.makeExperience($0) }
        self.bookings = Table(records: bookingRecords, fields: [.created, .updated])
        self.orders = Table(records: orderPairs.map(\.0), fields: [.created, .updated])
        self.orderChildren = orderPairs.map(\.1)
        self.events = Table(records: eventRecords, fields: [.start])
        self.experiences = Table(records: experiencePairs.map(\.0), fields: [.created])
        self.experienceLocalized = experiencePairs.map(\.1)
        self.marketingConsents = Table(records: (0..<generator.consentCount).map { generator.makeConsent($0) }, fields: [.created])
        var w = JSONWriter(capacity: 256)
        w.beginObject()
        w.key("company_id")
        w.string(configuration.companyID)
        w.key("company_name")
        w.string(configuration.companyName)
        w.key("user_id")
        w.string(configuration.userID)
        w.key("email")
        w.string(configuration.email)
        w.endObject()
        self.me = w.bytes
        self.clock = generator.anchor
    }

    func table(_ resource: SimulatorResource) -> Table {
        switch resource {
        case .bookings: return self.bookings
        case .orders: return self.orders
        case .events: return self.events
        case .experiences: return self.experiences
        case .marketingConsents: return self.marketingConsents
        }
    }

    private mutating func modifyTable(_ resource: SimulatorResource, _ body: (inout Table) -> Void) {
        switch resource {
        case .bookings: body(&self.bookings)
        case .orders: body(&self.orders)
        case .events: body(&self.events)
        case .experiences: body(&self.experiences)
        case .marketingConsents: body(&self.marketingConsents)
        }
    }

    // MARK: mutations

    /// The next instant: 1 s after the previous one, sometimes with a fraction.
    private mutating func tick(_ r: inout SeededRandom) -> Int64 {
        var t = self.clock - self.clock % SimulatorTime.microsPerSecond + SimulatorTime.microsPerSecond
        switch r.below(3) {
        case 0: break
        case 1: t += Int64(r.between(1, 999)) * 1000
        default: t += Int64(r.between(1, 999_999))
        }
        self.clock = max(t, self.clock + 1)
        return self.clock
    }

    mutating func mutate(_ batch: MutationBatch) -> SimulatorMutationSummary {
        self.mutationCount += 1
        var r = self.generator.random(.mutation, self.mutationCount)
        let now = self.tick(&r)
        var summary = SimulatorMutationSummary(updatedAtMicroseconds: now)
        for resource in SimulatorResource.allCases where batch.resources.contains(resource) {
            let count = self.table(resource).count
            if count > 0 {
                for _ in 0..<max(0, batch.updates) {
                    let index = r.below(count)
                    guard !self.table(resource)[index].deleted else { continue }
                    self.update(resource, index, at: now, &r)
                    summary.updated[resource, default: []].append(self.table(resource)[index].id)
                }
                for _ in 0..<max(0, batch.cancels) where resource != .experiences && resource != .marketingConsents {
                    let index = r.below(count)
                    guard !self.table(resource)[index].deleted else { continue }
                    self.cancel(resource, index, at: now, &r)
                    summary.cancelled[resource, default: []].append(self.table(resource)[index].id)
                }
            }
            for _ in 0..<max(0, batch.creates) where resource != .experiences {
                summary.created[resource, default: []].append(self.create(resource, at: now))
            }
        }
        return summary
    }

    /// Bumps `updated_at` and sometimes changes content (status, note, line items, payment, seats).
    mutating func update(_ resource: SimulatorResource, _ index: Int, at now: Int64, _ r: inout SeededRandom) {
        let generator = self.generator
        switch resource {
        case .bookings:
            let changeNote = r.percent(30)
            let newStatus: UInt8? = r.percent(20) ? [0, 2, 4][r.below(3)] : nil
            self.bookings.update(index) { record in
                record.updatedAt = now
                if changeNote { record.version += 1 }
                if let newStatus { record.status = newStatus }
                record.json = generator.renderBooking(index, record)
            }
        case .orders:
            let changeLines = r.percent(25)
            let progress = r.percent(40)
            self.orders.update(index) { record in
                record.updatedAt = now
                if changeLines { record.version += 1 }
            }
            var record = self.orders[index]
            var children = self.orderChildren[index]
            if progress, record.secondaryStatus == Enums.unpaid {
                record.secondaryStatus = Enums.paid
                record.status = 1
            } else if progress, record.secondaryStatus == Enums.paid {
                record.secondaryStatus = Enums.partiallyRefunded
            }
            let rendered = generator.renderOrder(index, record)
            if progress, record.secondaryStatus == Enums.paid, children.transactions.isEmpty {
                generator.addTransaction(&children, order: index, record: record, currency: rendered.currency, amount: rendered.total, failed: false, &r)
            } else if progress, record.secondaryStatus == Enums.partiallyRefunded {
                generator.addRefund(&children, order: index, record: record, currency: rendered.currency, amount: rendered.total / 3, &r)
            }
            children.lineItems = rendered.lineItems
            self.orderChildren[index] = children
            let status = record.status
            let payment = record.secondaryStatus
            self.orders.update(index) { record in
                record.status = status
                record.secondaryStatus = payment
                record.json = rendered.json
            }
        case .events:
            let capacity = generator.eventCapacity(index)
            let reserved = Int32(r.between(0, capacity))
            let flip = r.percent(10)
            self.events.update(index) { record in
                record.updatedAt = now
                record.reservedSeats = reserved
                if flip, record.status <= 1 { record.status = 1 - record.status }
                record.json = generator.renderEvent(index, record)
            }
        case .experiences:
            var localized: [[UInt8]] = []
            self.experiences.update(index) { record in
                record.updatedAt = now
                localized = generator.languages.indices.map { generator.renderExperience(index, record, language: $0) }
                record.json = localized[0]
            }
            self.experienceLocalized[index] = localized
        case .marketingConsents:
            // No timestamp to bump: the consent's content (its source) changes.
            self.marketingConsents.update(index) { record in
                record.version += 1
                record.json = generator.renderConsent(index, record)
            }
        }
    }

    mutating func cancel(_ resource: SimulatorResource, _ index: Int, at now: Int64, _ r: inout SeededRandom) {
        let generator = self.generator
        switch resource {
        case .bookings:
            self.bookings.update(index) { record in
                record.updatedAt = now
                record.status = Enums.bookingCancelled
                record.json = generator.renderBooking(index, record)
            }
        case .orders:
            self.orders.update(index) { record in
                record.updatedAt = now
                record.status = Enums.orderCancelled
                if [Enums.paid, Enums.partiallyPaid, Enums.partiallyRefunded].contains(record.secondaryStatus) { record.secondaryStatus = Enums.refunded }
            }
            let record = self.orders[index]
            let rendered = generator.renderOrder(index, record)
            if record.secondaryStatus == Enums.refunded, self.orderChildren[index].refunds.isEmpty {
                generator.addRefund(&self.orderChildren[index], order: index, record: record, currency: rendered.currency, amount: rendered.total, &r)
            }
            self.orders.update(index) { $0.json = rendered.json }
        case .events:
            self.events.update(index) { record in
                record.updatedAt = now
                record.status = Enums.eventCancelled
                record.json = generator.renderEvent(index, record)
            }
        case .experiences, .marketingConsents:
            break
        }
    }

    /// Creates one record stamped `now`; returns its id.
    mutating func create(_ resource: SimulatorResource, at now: Int64) -> String {
        switch resource {
        case .bookings:
            let record = self.generator.makeBooking(self.bookings.count, createdAt: now)
            self.bookings.append(record)
            return record.id
        case .orders:
            let (record, children) = self.generator.makeOrder(self.orders.count, createdAt: now)
            self.orders.append(record)
            self.orderChildren.append(children)
            return record.id
        case .events:
            let record = self.generator.makeEvent(self.events.count, createdAt: now)
            self.events.append(record)
            return record.id
        case .experiences:
            return ""
        case .marketingConsents:
            let record = self.generator.makeConsent(self.marketingConsents.count, createdAt: now)
            self.marketingConsents.append(record)
            return record.id
        }
    }

    /// Bumps `updated_at` of one record to a fresh instant. Returns the new instant, or nil if unknown.
    mutating func touch(_ resource: SimulatorResource, id: String) -> Int64? {
        guard let index = self.table(resource).index(of: id), !self.table(resource)[index].deleted else { return nil }
        var r = self.generator.random(.mutation, -self.mutationCount - 1)
        self.mutationCount += 1
        let now = self.tick(&r)
        self.update(resource, index, at: now, &r)
        return now
    }

    mutating func cancel(_ resource: SimulatorResource, id: String) -> Bool {
        guard resource != .experiences, resource != .marketingConsents, let index = self.table(resource).index(of: id), !self.table(resource)[index].deleted else { return false }
        var r = self.generator.random(.mutation, -self.mutationCount - 1)
        self.mutationCount += 1
        let now = self.tick(&r)
        self.cancel(resource, index, at: now, &r)
        return true
    }

    /// Removes a top-level field from one record (it stays removed through later mutations).
    mutating func corrupt(_ resource: SimulatorResource, id: String, removingField field: String) -> Bool {
        guard let index = self.table(resource).index(of: id) else { return false }
        self.rerender(resource, index) { $0.omit.append(field) }
        return true
    }

    /// Sets top-level fields of one record to raw JSON values, without a fresh `updated_at`.
    /// `updated_at`/`created_at` given as RFC 3339 strings move the record's timestamps (and its
    /// place in sorted lists); any other value of theirs, and every other field, is served as given.
    mutating func setFields(_ resource: SimulatorResource, id: String, _ fields: [FieldOverride]) -> Bool {
        guard let index = self.table(resource).index(of: id), !self.table(resource)[index].deleted else { return false }
        self.rerender(resource, index) { record in
            for field in fields {
                record.overrides.removeAll { $0.key == field.key }
                if field.key == "updated_at" || field.key == "created_at", let micros = Self.timestamp(field.json) {
                    if field.key == "updated_at" { record.updatedAt = micros } else { record.createdAt = micros }
                } else {
                    record.overrides.append(field)
                }
            }
        }
        return true
    }

    /// Deletes one record: lists omit it, its GET (and an order's children) answer 404.
    mutating func delete(_ resource: SimulatorResource, id: String) -> Bool {
        guard let index = self.table(resource).index(of: id), !self.table(resource)[index].deleted else { return false }
        self.modifyTable(resource) { table in table.update(index) { $0.deleted = true } }
        return true
    }

    /// Serves a deleted record again, as it was.
    mutating func restore(_ resource: SimulatorResource, id: String) -> Bool {
        guard let index = self.table(resource).index(of: id), self.table(resource)[index].deleted else { return false }
        self.modifyTable(resource) { table in table.update(index) { $0.deleted = false } }
        return true
    }

    /// Sets top-level fields of one line item of an order (the order's `updated_at` stays).
    mutating func setLineItemFields(orderID: String, line: Int, _ fields: [FieldOverride]) -> Bool {
        guard let index = self.orders.index(of: orderID), !self.orders[index].deleted,
            self.orderChildren[index].lineItems.indices.contains(line - 1)
        else { return false }
        var json = self.orderChildren[index].lineItems[line - 1]
        for field in fields { json = JSONSurgery.settingTopLevelKey(field.key, to: field.json, in: json) }
        self.orderChildren[index].lineItems[line - 1] = json
        return true
    }

    /// Changes an order's children without touching the order (its `updated_at` stays).
    mutating func changeOrderChildren(orderID: String, _ change: OrderChildrenChange) -> Bool {
        guard let index = self.orders.index(of: orderID), !self.orders[index].deleted else { return false }
        let record = self.orders[index]
        switch change {
        case .addRefund:
            var r = self.generator.random(.mutation, -self.mutationCount - 1)
            self.mutationCount += 1
            let rendered = self.generator.renderOrder(index, record)
            self.generator.addRefund(&self.orderChildren[index], order: index, record: record, currency: rendered.currency, amount: max(1, rendered.total / 4), &r)
        case .removeLineItem:
            guard !self.orderChildren[index].lineItems.isEmpty else { return false }
            self.orderChildren[index].lineItems.removeLast()
        }
        return true
    }

    /// Applies `change` to one record and renders it again.
    private mutating func rerender(_ resource: SimulatorResource, _ index: Int, _ change: (inout Record) -> Void) {
        let generator = self.generator
        switch resource {
        case .bookings:
            self.bookings.update(index) { record in
                change(&record)
                record.json = generator.renderBooking(index, record)
            }
        case .orders:
            self.orders.update(index) { record in
                change(&record)
                record.json = generator.renderOrder(index, record).json
            }
        case .events:
            self.events.update(index) { record in
                change(&record)
                record.json = generator.renderEvent(index, record)
            }
        case .experiences:
            var localized: [[UInt8]] = []
            self.experiences.update(index) { record in
                change(&record)
                localized = generator.languages.indices.map { generator.renderExperience(index, record, language: $0) }
                record.json = localized[0]
            }
            self.experienceLocalized[index] = localized
        case .marketingConsents:
            self.marketingConsents.update(index) { record in
                change(&record)
                record.json = generator.renderConsent(index, record)
            }
        }
    }

    /// Microseconds of a JSON string holding an RFC 3339 UTC time (`…Z`, optional fraction).
    private static func timestamp(_ json: [UInt8]) -> Int64? {
        guard json.count > 2, json.first == UInt8(ascii: "\""), json.last == UInt8(ascii: "\"") else { return nil }
        let text = String(decoding: json[1..<(json.count - 1)], as: UTF8.self)
        guard text.hasSuffix("Z"), text.count >= 20 else { return nil }
        let whole = text.prefix(19)
        guard let seconds = SimulatorTime.parseSeconds(Substring(whole), suffix: "") else { return nil }
        var micros = seconds * SimulatorTime.microsPerSecond
        let rest = text.dropFirst(19).dropLast()
        if !rest.isEmpty {
            guard rest.first == ".", rest.count > 1, rest.count <= 10, rest.dropFirst().allSatisfy(\.isNumber) else { return nil }
            let digits = String(rest.dropFirst()).padding(toLength: 6, withPad: "0", startingAt: 0).prefix(6)
            micros += Int64(digits) ?? 0
        }
        return micros
    }

    // MARK: truth

    func truth() -> SimulatorTruth {
        func items(_ table: Table) -> [String: SimulatorTruth.Item] {
            var result: [String: SimulatorTruth.Item] = [:]
            result.reserveCapacity(table.count)
            for record in table.records where !record.deleted {
                result[record.id] = SimulatorTruth.Item(
                    id: record.id, createdAtMicroseconds: record.createdAt, updatedAtMicroseconds: record.updatedAt, raw: record.json
                )
            }
            return result
        }
        var lineItems: [String: [[UInt8]]] = [:]
        var refunds: [String: [[UInt8]]] = [:]
        var transactions: [String: [[UInt8]]] = [:]
        lineItems.reserveCapacity(self.orders.count)
        refunds.reserveCapacity(self.orders.count)
        transactions.reserveCapacity(self.orders.count)
        for (i, record) in self.orders.records.enumerated() where !record.deleted {
            lineItems[record.id] = self.orderChildren[i].lineItems
            refunds[record.id] = self.orderChildren[i].refunds
            transactions[record.id] = self.orderChildren[i].transactions
        }
        return SimulatorTruth(
            bookings: items(self.bookings), orders: items(self.orders), events: items(self.events),
            experiences: items(self.experiences), marketingConsents: items(self.marketingConsents), orderLineItems: lineItems, orderRefunds: refunds,
            orderTransactions: transactions, me: self.me
        )
    }
}

/// Maps `0..<count` on all cores, in order. Each element depends only on its index.
func parallelMap<T: Sendable>(count: Int, _ transform: @Sendable (Int) -> T) -> [T] {
    guard count > 0 else { return [] }
    let chunkSize = 2048
    let chunks = (count + chunkSize - 1) / chunkSize
    let results = Mutex<[[T]]>(Array(repeating: [], count: chunks))
    DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
        let start = chunk * chunkSize
        let end = min(count, start + chunkSize)
        var part: [T] = []
        part.reserveCapacity(end - start)
        for i in start..<end { part.append(transform(i)) }
        results.withLock { $0[chunk] = part }
    }
    return results.withLock { chunksResult in
        var all: [T] = []
        all.reserveCapacity(count)
        for part in chunksResult { all.append(contentsOf: part) }
        return all
    }
}

/// A change to an order's children that leaves the order itself (and its `updated_at`) alone.
public enum OrderChildrenChange: String, Sendable {
    case addRefund = "add-refund"
    case removeLineItem = "remove-line-item"
}
