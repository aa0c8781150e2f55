/// Deterministic data: every record is a pure function of (seed, resource, index) plus the few
/// mutable facts kept in its `Record` (timestamps, status, version). So records can be generated in
/// parallel, and a mutated record is re-rendered with the same choices and only its changed facts.
struct DataGenerator: Sendable {
    let seed: UInt64
    /// Seed of record ids (usually `seed`; shared between companies to give them the same ids).
    let idSeed: UInt64
    let bookingCount: Int
    let orderCount: Int
    let eventCount: Int
    let experienceCount: Int
    let consentCount: Int
    let anchor: Int64
    let history: Int64
    let future: Int64
    let companyID: [UInt8]
    let languages: [String]

    init(configuration: SimulatorConfiguration, idSeed: UInt64? = nil) {
        self.seed = configuration.seed
        self.idSeed = idSeed ?? configuration.seed
        self.bookingCount = max(0, configuration.bookings)
        self.orderCount = max(0, configuration.orders)
        self.eventCount = max(0, configuration.events)
        self.experienceCount = max(1, configuration.experiences)
        self.consentCount = max(0, configuration.marketingConsents ?? configuration.bookings / 4)
        // Whole seconds, so the shared "bulk" instants below render without a fraction.
        self.anchor = configuration.anchorMicros - configuration.anchorMicros % SimulatorTime.microsPerSecond
        self.history = Int64(max(1, configuration.historyDays)) * SimulatorTime.microsPerDay
        self.future = Int64(max(1, configuration.futureDays)) * SimulatorTime.microsPerDay
        self.companyID = JSONWriter.encoded(configuration.companyID)
        self.languages = configuration.languages.isEmpty ? ["en"] : configuration.languages
    }

    enum Stream: UInt64 {
        case bookingID = 1, orderID, eventID, experienceID, sessionID, childID
        case booking, bookingState, bookingNote, created
        case order, orderState, orderLines, orderChildren
        case event, eventState, eventStart, eventCapacity, eventExperience
        case experience, experienceState
        case mutation, faults, cursorKey
        case consentID, consent
    }

    func random(_ stream: Stream, _ index: Int, version: UInt32 = 0) -> SeededRandom {
        SeededRandom(seed: self.seed, stream: stream.rawValue, index: index, version: version)
    }

    // MARK: ids

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    /// 64 bits unique per (stream, index) — the finaliser is a bijection — plus 64 more that look random.
    private func idBits(_ stream: Stream, _ index: Int) -> (UInt64, UInt64) {
        let key = SeededRandom.mix(self.idSeed &* 0x2545_F491_4F6C_DD1D &+ stream.rawValue)
        let a = SeededRandom.mix(UInt64(truncatingIfNeeded: index) ^ key)
        let b = SeededRandom.mix(a ^ 0x5851_F42D_4C95_7F2D)
        return (a, b)
    }

    private static func appendHex(_ value: UInt64, digits: Int, to out: inout [UInt8]) {
        var shift = (digits - 1) * 4
        while shift >= 0 {
            out.append(hex[Int((value >> UInt64(shift)) & 0xF)])
            shift -= 4
        }
    }

    func hexID(_ stream: Stream, _ index: Int, prefix: StaticString = "") -> String {
        let (a, b) = self.idBits(stream, index)
        var out: [UInt8] = []
        out.reserveCapacity(40)
        prefix.withUTF8Buffer { out.append(contentsOf: $0) }
        Self.appendHex(a, digits: 16, to: &out)
        Self.appendHex(b, digits: 16, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Bookings get UUID-shaped ids (8-4-4-4-12).
    func bookingID(_ index: Int) -> String {
        let (a, b) = self.idBits(.bookingID, index)
        var out: [UInt8] = []
        out.reserveCapacity(36)
        Self.appendHex(a >> 32, digits: 8, to: &out)
        out.append(UInt8(ascii: "-"))
        Self.appendHex(a >> 16, digits: 4, to: &out)
        out.append(UInt8(ascii: "-"))
        Self.appendHex(a, digits: 4, to: &out)
        out.append(UInt8(ascii: "-"))
        Self.appendHex(b >> 48, digits: 4, to: &out)
        out.append(UInt8(ascii: "-"))
        Self.appendHex(b, digits: 12, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    func orderID(_ index: Int) -> String { self.hexID(.orderID, index) }
    func eventID(_ index: Int) -> String { self.hexID(.eventID, index) }
    func experienceID(_ index: Int) -> String { self.hexID(.experienceID, index) }

    func experienceIndex(forEvent index: Int) -> Int {
        var r = self.random(.eventExperience, index)
        return r.below(self.experienceCount)
    }

    // MARK: time

    /// Truncates to whole seconds, whole milliseconds or keeps microseconds (a third each).
    private func precision(_ micros: Int64, _ r: inout SeededRandom) -> Int64 {
        switch r.below(3) {
        case 0: return micros - micros % SimulatorTime.microsPerSecond
        case 1: return micros - micros % 1000
        default: return micros
        }
    }

    /// Spread evenly over the history with jitter; in every 50 consecutive records 5 share one instant.
    func generatedCreatedAt(_ stream: Stream, index: Int, count: Int) -> Int64 {
        let base = index % 50 < 5 ? index - index % 50 : index
        let step = max(1, self.history / Int64(max(count, 1)))
        var r = SeededRandom(seed: self.seed, stream: Stream.created.rawValue &* 31 &+ stream.rawValue, index: base)
        let t = self.anchor - self.history + Int64(base) * step + r.between(0, step)
        return min(self.precision(t, &r), self.anchor - SimulatorTime.microsPerSecond)
    }

    /// 30 % never updated; 6 % at one of three shared "bulk" instants; else some time later.
    func generatedUpdatedAt(createdAt: Int64, _ r: inout SeededRandom) -> Int64 {
        let roll = r.below(100)
        if roll < 30 { return createdAt }
        if roll < 36 {
            for days in [30, 7, 1] as [Int64] {
                let instant = self.anchor - days * SimulatorTime.microsPerDay
                if instant >= createdAt { return instant }
            }
            return createdAt
        }
        let room = self.anchor - createdAt
        guard room > 1 else { return createdAt }
        let later = createdAt + r.between(1, min(room, 60 * SimulatorTime.microsPerDay))
        return max(createdAt, self.precision(later, &r))
    }

    // MARK: shared pieces

    enum Presence { case present, null, absent }

    /// Index 0 of each resource has every optional field null, index 1 has them absent, index 2
    /// present; the rest are random with `present` % present and the remainder split null/absent.
    private func presence(_ r: inout SeededRandom, _ index: Int, present: Int) -> Presence {
        let roll = r.below(100)
        switch index {
        case 0: return .null
        case 1: return .absent
        case 2: return .present
        default:
            if roll < present { return .present }
            return roll < present + (100 - present) / 3 ? .null : .absent
        }
    }

    /// Writes the key and null, or the key and lets `body` write a value, or nothing.
    private func optional(_ w: inout JSONWriter, _ key: StaticString, _ p: Presence, _ body: (inout JSONWriter) -> Void) {
        switch p {
        case .absent: return
        case .null:
            w.key(key)
            w.null()
        case .present:
            w.key(key)
            body(&w)
        }
    }

    private func writeMoney(_ w: inout JSONWriter, _ currency: Currency, _ value: Int64) {
        w.beginObject()
        w.key("currency")
        w.string(currency.code)
        w.key("value")
        w.int(value)
        w.key("exponent")
        w.int(currency.exponent)
        w.endObject()
    }

    private func writeMetadata(_ w: inout JSONWriter, _ r: inout SeededRandom, _ index: Int) {
        let p = self.presence(&r, index, present: 55)
        let count = r.below(4)
        var pairs: [(String, String)] = []
        for _ in 0..<count { pairs.append((r.pick(TextPools.metadataKeys), r.pick(TextPools.metadataValues))) }
        self.optional(&w, "metadata", p) { w in
            w.beginObject()
            var seen: Set<String> = []
            for (k, v) in pairs where !seen.contains(k) {
                seen.insert(k)
                w.key(dynamic: k)
                w.string(v)
            }
            w.endObject()
        }
    }

    /// Fields the real API may add at any time; 1 record in 20 (and index 3) carries some.
    func writeUnknownFields(_ w: inout JSONWriter, _ r: inout SeededRandom, _ index: Int) {
        let kind = r.below(5)
        guard index == 3 || r.oneIn(20) else { return }
        switch kind {
        case 0:
            w.key("sales_channel")
            w.beginObject()
            w.key("type")
            w.string("WIDGET")
            w.key("widget_id")
            w.string("w_\(index % 7)")
            w.endObject()
        case 1:
            w.key("_experimental_score")
            w.double(0.75)
        case 2:
            w.key("tags")
            w.beginArray()
            w.string("vip")
            w.string("🌟")
            w.endArray()
        case 3:
            w.key("legacy_ref")
            w.null()
        default:
            w.key("x-internal-flags")
            w.beginObject()
            w.key("beta")
            w.bool(true)
            w.key("rollout")
            w.int(Int64(1) << 40)
            w.endObject()
        }
    }

    func fullName(_ r: inout SeededRandom) -> String {
        r.pick(TextPools.firstNames) + " " + r.pick(TextPools.lastNames)
    }

    func email(_ r: inout SeededRandom, _ index: Int) -> String {
        switch r.below(6) {
        case 0: return "Guest.\(index)+Tag@Example.COM"
        case 1: return "søren.\(index)@eksempel.dk"
        case 2: return "\"quoted name\"@example.org"
        case 3: return "用户\(index)@例子.中国"
        default: return "guest\(index)@example.com"
        }
    }

    private static let phones = ["+45 12 34 56 78", "+354 555-1234", "0045-2020-2020", "+81 (0)3-1234-5678", "٠١٢٣٤٥٦٧٨٩", "+965 2222 3333"]

    private func writeCustomer(_ w: inout JSONWriter, _ r: inout SeededRandom, _ index: Int) {
        let company = r.percent(15)
        let name = company ? r.pick(TextPools.companyNames) : self.fullName(&r)
        let asciiOnly = r.oneIn(40)
        let vat = "DK\(10_000_000 + r.below(89_999_999))"
        let pEmail = self.presence(&r, index, present: 85)
        let mail = self.email(&r, index)
        let pPhone = self.presence(&r, index, present: 60)
        let phone = r.pick(Self.phones)
        let pVat = self.presence(&r, index, present: 50)
        let pAddress = self.presence(&r, index, present: 50)
        let twoLines = r.percent(30)
        let street = r.pick(TextPools.streets)
        let line2 = r.pick(TextPools.secondLines)
        let city = r.pick(TextPools.cities)
        let pRegion = self.presence(&r, index, present: 30)
        let region = r.pick(TextPools.regions)
        let zip = r.pick(TextPools.zips)
        let country = r.pick(TextPools.countries)

        w.beginObject()
        w.key("customer_type")
        if company {
            w.string("COMPANY")
            w.key("company_name")
            w.string(name, asciiOnly: asciiOnly)
            self.optional(&w, "vat_number", pVat) { $0.string(vat) }
        } else {
            w.string("PRIVATE")
            w.key("full_name")
            w.string(name, asciiOnly: asciiOnly)
        }
        self.optional(&w, "email", pEmail) { $0.string(mail) }
        self.optional(&w, "phone", pPhone) { $0.string(phone) }
        self.optional(&w, "address", pAddress) { w in
            w.beginObject()
            w.key("address_lines")
            w.beginArray()
            w.string(street)
            if twoLines { w.string(line2) }
            w.endArray()
            w.key("city")
            w.string(city)
            self.optional(&w, "region", pRegion) { $0.string(region) }
            w.key("zip_code")
            w.string(zip)
            w.key("country")
            w.string(country)
            w.endObject()
        }
        w.endObject()
    }

    // MARK: bookings

    func makeBooking(_ index: Int, createdAt: Int64? = nil) -> Record {
        var s = self.random(.bookingState, index)
        let created = createdAt ?? self.generatedCreatedAt(.booking, index: index, count: self.bookingCount)
        let updated = createdAt == nil ? self.generatedUpdatedAt(createdAt: created, &s) : created
        var status = UInt8(s.weighted([60, 12, 5, 4, 15, 2, 0]))
        if createdAt != nil { status = 0 }
        if index == 6 || (index > 6 && s.oneIn(2000)) { status = 6 }  // an enum value the docs do not list
        var record = Record(id: self.bookingID(index), createdAt: created, updatedAt: updated, status: status)
        record.json = self.renderBooking(index, record)
        return record
    }

    func renderBooking(_ index: Int, _ record: Record) -> [UInt8] {
        var r = self.random(.booking, index)
        var note = self.random(.bookingNote, index, version: record.version)
        var w = JSONWriter(capacity: 900)
        let event = self.eventCount > 0 ? r.below(self.eventCount) : index
        w.beginObject()
        w.key("id")
        w.string(record.id)
        w.key("status")
        w.string(Enums.bookingStatus[Int(record.status)])
        w.key("created_at")
        w.timestamp(micros: record.createdAt)
        w.key("updated_at")
        w.timestamp(micros: record.updatedAt)
        w.key("company_id")
        w.fragment(self.companyID)
        w.key("experience_id")
        w.string(self.experienceID(self.experienceIndex(forEvent: event)))
        w.key("event_id")
        w.string(self.eventID(event))
        w.key("customer")
        self.writeCustomer(&w, &r, index)
        w.key("locale")
        w.string(r.pick(TextPools.locales))
        let pSource = self.presence(&r, index, present: 70)
        let source = r.pick(TextPools.sources)
        self.optional(&w, "source", pSource) { $0.string(source) }
        let pNote = self.presence(&note, index, present: 45)
        let long = index == 4 || note.oneIn(300)
        let noteText = long ? TextPools.long(&note, minimumBytes: note.between(3000, 16000)) : note.pick(TextPools.notes)
        self.optional(&w, "internal_note", pNote) { $0.string(noteText) }
        self.writeMetadata(&w, &r, index)
        self.writeUnknownFields(&w, &r, index)
        w.endObject()
        return JSONSurgery.shaped(w.bytes, by: record)
    }

    // MARK: orders

    struct RenderedOrder {
        var json: [UInt8]
        var lineItems: [[UInt8]]
        var currency: Currency
        var total: Int64
    }

    private func currency(forOrder index: Int, _ r: inout SeededRandom) -> (Currency, big: Bool) {
        let drawn = r.weighted(Currency.weights)
        let big = index == 0 || index == 3 || index % 97 == 50
        switch index {
        case 0: return (Currency.all[Currency.jpy], true)
        case 1: return (Currency.all[Currency.kwd], false)
        case 2: return (Currency.all[Currency.dkk], false)
        case 3: return (Currency.all[Currency.isk], true)
        case 4: return (Currency.all[Currency.bhd], false)
        default: return (Currency.all[drawn], big)
        }
    }

    private func unitPrice(_ currency: Currency, big: Bool, _ r: inout SeededRandom) -> Int64 {
        if big { return Int64(2_200_000_000) + r.between(0, 3_000_000_000 as Int64) }
        switch currency.exponent {
        case 0: return r.between(500, 80_000 as Int64)
        case 3: return r.between(5, 500 as Int64) * 1000 + (r.percent(50) ? 0 : r.between(0, 999 as Int64))
        default: return r.between(50, 5000 as Int64) * 100 + (r.percent(60) ? 0 : r.between(0, 99 as Int64))
        }
    }

    func makeOrder(_ index: Int, createdAt: Int64? = nil) -> (Record, StoredOrderChildren) {
        var s = self.random(.orderState, index)
        let created = createdAt ?? self.generatedCreatedAt(.order, index: index, count: self.orderCount)
        let updated = createdAt == nil ? self.generatedUpdatedAt(createdAt: created, &s) : created
        var payment = UInt8(s.weighted([15, 60, 8, 7, 10]))
        if createdAt != nil { payment = 0 }
        let status: UInt8
        switch payment {
        case 0: status = s.percent(80) ? 0 : 2
        case 3: status = s.percent(50) ? 2 : 1
        default: status = 1
        }
        var record = Record(id: self.orderID(index), createdAt: created, updatedAt: updated, status: status, secondaryStatus: payment)
        let rendered = self.renderOrder(index, record)
        record.json = rendered.json
        var children = StoredOrderChildren(lineItems: rendered.lineItems)
        var c = self.random(.orderChildren, index)
        if payment != 0 {
            if c.oneIn(8) {
                self.addTransaction(&children, order: index, record: record, currency: rendered.currency, amount: rendered.total, failed: true, &c)
            }
            let paid = payment == 2 || payment == 4 ? rendered.total * Int64(c.between(30, 70)) / 100 : rendered.total
            self.addTransaction(&children, order: index, record: record, currency: rendered.currency, amount: paid, failed: false, &c)
            if payment == 3 || payment == 4 {
                let refunded = payment == 3 ? paid : paid / 2
                self.addRefund(&children, order: index, record: record, currency: rendered.currency, amount: refunded, &c)
            }
        }
        return (record, children)
    }

    private func childTime(_ record: Record, _ r: inout SeededRandom) -> Int64 {
        let t = record.createdAt + r.between(0, max(0, record.updatedAt - record.createdAt))
        return max(record.createdAt, self.precision(t, &r))
    }

    func addTransaction(
        _ children: inout StoredOrderChildren, order: Int, record: Record, currency: Currency, amount: Int64, failed: Bool,
        _ r: inout SeededRandom
    ) {
        let n = children.transactions.count
        let id = self.hexID(.childID, order &* 64 &+ n, prefix: "txn_")
        let provider = Int(r.below(Enums.providers.count))
        let giftCard = Enums.providers[provider].description == "GIFT_CARD"
        let pDetails = self.presence(&r, order, present: 80)
        var w = JSONWriter(capacity: 300)
        w.beginObject()
        w.key("id")
        w.string(id)
        w.key("status")
        w.string(failed ? "FAILED" : Enums.transactionStatus[r.percent(90) ? 0 : r.below(4)])
        w.key("provider")
        w.string(Enums.providers[provider])
        w.key("amount")
        self.writeMoney(&w, currency, amount)
        w.key("created_at")
        w.timestamp(micros: self.childTime(record, &r))
        self.optional(&w, "details", pDetails) { w in
            w.beginObject()
            w.key("type")
            w.string(giftCard ? "GIFT_CARD" : "CARD")
            w.key("gift_card_id")
            if giftCard { w.string("gc_\(order)_\(n)") } else { w.null() }
            w.endObject()
        }
        w.endObject()
        children.transactions.append(w.bytes)
        children.transactionIDs.append(id)
    }

    func addRefund(
        _ children: inout StoredOrderChildren, order: Int, record: Record, currency: Currency, amount: Int64, _ r: inout SeededRandom
    ) {
        let n = children.refunds.count
        var w = JSONWriter(capacity: 260)
        w.beginObject()
        w.key("id")
        w.string(self.hexID(.childID, order &* 64 &+ 32 &+ n, prefix: "rfnd_"))
        w.key("status")
        w.string(Enums.refundStatus[r.percent(75) ? 1 : r.below(4)])
        w.key("amount")
        self.writeMoney(&w, currency, amount)
        w.key("transaction_id")
        w.string(children.transactionIDs.last ?? self.hexID(.childID, order &* 64, prefix: "txn_"))
        w.key("created_at")
        w.timestamp(micros: self.childTime(record, &r))
        w.endObject()
        children.refunds.append(w.bytes)
    }

    func renderOrder(_ index: Int, _ record: Record) -> RenderedOrder {
        var r = self.random(.order, index)
        let (currency, big) = self.currency(forOrder: index, &r)

        let lines = self.renderLineItems(index, record, currency: currency, big: big)
        var w = JSONWriter(capacity: 1100)
        w.beginObject()
        w.key("id")
        w.string(record.id)
        w.key("number")
        w.string(String(100_001 + index))
        w.key("status")
        w.string(Enums.orderStatus[Int(record.status)])
        w.key("payment_status")
        w.string(Enums.paymentStatus[Int(record.secondaryStatus)])
        w.key("created_at")
        w.timestamp(micros: record.createdAt)
        w.key("updated_at")
        w.timestamp(micros: record.updatedAt)
        w.key("customer")
        self.writeCustomer(&w, &r, index)
        w.key("origin")
        self.writeOrigin(&w, &r, index)
        w.key("totals")
        w.beginObject()
        w.key("discount")
        self.writeMoney(&w, currency, lines.discount)
        w.key("vat_amount")
        self.writeMoney(&w, currency, lines.vat)
        w.key("amount")
        self.writeMoney(&w, currency, lines.gross - lines.discount)
        w.endObject()
        self.writeMetadata(&w, &r, index)
        self.writeUnknownFields(&w, &r, index)
        w.endObject()
        return RenderedOrder(
            json: JSONSurgery.shaped(w.bytes, by: record),
            lineItems: lines.items,
            currency: currency,
            total: lines.gross - lines.discount
        )
    }

    /// An order's line items (their own random stream, by the record's version) and their sums.
    struct OrderLines {
        var items: [[UInt8]] = []
        var gross: Int64 = 0
        var vat: Int64 = 0
        var discount: Int64 = 0
    }

    func renderLineItems(_ index: Int, _ record: Record, currency: Currency, big: Bool) -> OrderLines {
        var l = self.random(.orderLines, index, version: record.version)
        let lineCount = l.between(1, 4)
        var lines = OrderLines()
        for n in 0..<lineCount {
            let quantity = big ? l.between(1, 3) : l.between(1, 6)
            let price = self.unitPrice(currency, big: big && n == 0, &l)
            let unitVat = price / 5
            let type = l.weighted([75, 15, 10])
            let experience = self.experienceID(l.below(self.experienceCount))
            let pDiscount = self.presence(&l, index, present: 20)
            let lineDiscount = pDiscount == .present ? price * Int64(quantity) / 10 : 0
            var w = JSONWriter(capacity: 420)
            w.beginObject()
            w.key("quantity")
            w.int(quantity)
            w.key("unit_price")
            self.writeMoney(&w, currency, price)
            w.key("unit_vat_amount")
            self.writeMoney(&w, currency, unitVat)
            w.key("product_type")
            let typeName: StaticString = type == 0 ? "TICKET" : type == 1 ? "TICKET_ADDON" : "GIFTCARD"
            w.string(typeName)
            w.key("product_id")
            w.string(self.hexID(.childID, l.below(1000), prefix: "prod_"))
            w.key("details")
            w.beginObject()
            w.key("type")
            w.string(typeName)
            w.key("experience_id")
            if type == 2 { w.null() } else { w.string(experience) }
            w.key("ticket_id")
            if type == 2 { w.null() } else { w.string("tkt_\(index)_\(n)") }
            w.key("gift_card_id")
            if type == 2 { w.string("gc_\(index)_\(n)") } else { w.null() }
            w.endObject()
            self.optional(&w, "discount", pDiscount) { w in
                w.beginObject()
                w.key("type")
                w.string("CODE")
                w.key("code")
                w.string("SOMMER🌞\(2020 + n)")
                w.key("amount")
                self.writeMoney(&w, currency, lineDiscount)
                w.endObject()
            }
            w.endObject()
            lines.items.append(w.bytes)
            lines.gross += price * Int64(quantity)
            lines.vat += unitVat * Int64(quantity)
            lines.discount += lineDiscount
        }
        return lines
    }

    /// `origin`: a booking (most), a gift card purchase, or a manual order.
    func writeOrigin(_ w: inout JSONWriter, _ r: inout SeededRandom, _ index: Int) {
        let originKind = r.weighted([85, 10, 5])
        let booking = self.bookingCount > 0 ? r.below(self.bookingCount) : index
        w.beginObject()
        w.key("type")
        switch originKind {
        case 0:
            w.string("BOOKING")
            w.key("id")
            w.string(self.bookingID(booking))
        case 1:
            w.string("GIFT_CARD_PURCHASE")
            w.key("id")
            w.string("gc_\(index)")
        default:
            w.string("MANUAL")
            w.key("id")
            w.null()
            w.key("note")
            w.string("created in Backoffice ✍️")
        }
        w.endObject()
    }

    // MARK: events

    /// Local start of the first session (seconds, wall clock). Generated events span the history and
    /// the future; events created later start in the future. Index 0 starts at 02:30 on the last
    /// Sunday of October — a wall-clock time that happens twice in Europe/Copenhagen.
    func eventStart(_ index: Int) -> Int64 {
        var r = self.random(.eventStart, index)
        let anchorSeconds = self.anchor / SimulatorTime.microsPerSecond
        if index == 0 {
            let (year, _, _) = SimulatorTime.civil(days: anchorSeconds / 86_400)
            let october31 = SimulatorTime.days(year: year, month: 10, day: 31)
            let weekday = ((october31 + 4) % 7 + 7) % 7  // 0 = Sunday
            return (october31 - weekday) * 86_400 + 2 * 3600 + 30 * 60
        }
        let t: Int64
        if index >= self.eventCount {
            t = anchorSeconds + r.between(86_400, max(86_401, self.future / SimulatorTime.microsPerSecond))
        } else {
            t = anchorSeconds - self.history / SimulatorTime.microsPerSecond
                + r.between(0, (self.history + self.future) / SimulatorTime.microsPerSecond)
        }
        return t - t % 900
    }

    func eventCapacity(_ index: Int) -> Int {
        var r = self.random(.eventCapacity, index)
        return r.oneIn(50) ? r.between(500, 5000) : r.between(1, 60)
    }

    func makeEvent(_ index: Int, createdAt: Int64? = nil) -> Record {
        var s = self.random(.eventState, index)
        let start = self.eventStart(index)
        let startMicros = start * SimulatorTime.microsPerSecond
        let created: Int64
        let updated: Int64
        if let createdAt {
            created = createdAt
            updated = createdAt
        } else {
            let before = startMicros - s.between(SimulatorTime.microsPerDay, 120 * SimulatorTime.microsPerDay)
            created = self.precision(min(self.anchor - s.between(1, 3600) * SimulatorTime.microsPerSecond, before), &s)
            updated = self.generatedUpdatedAt(createdAt: created, &s)
        }
        let past = startMicros < self.anchor
        var state = UInt8(past ? s.weighted([15, 5, 10, 70, 0]) : s.weighted([80, 8, 10, 0, 0]))
        if createdAt != nil { state = 0 }
        if index == 7 || (index > 7 && s.oneIn(500)) { state = 4 }  // undocumented state
        let capacity = self.eventCapacity(index)
        let reserved = createdAt != nil ? 0 : s.between(0, capacity)
        var record = Record(
            id: self.eventID(index), createdAt: created, updatedAt: updated, startKey: start, status: state,
            secondaryStatus: s.percent(85) ? 0 : 1, reservedSeats: Int32(reserved)
        )
        record.json = self.renderEvent(index, record)
        return record
    }

    private static let sessionLanguages = ["en", "da", "de", "is", "ja", "ar"]

    func renderEvent(_ index: Int, _ record: Record) -> [UInt8] {
        var r = self.random(.event, index)
        var w = JSONWriter(capacity: 700)
        w.beginObject()
        w.key("id")
        w.string(record.id)
        w.key("state")
        w.string(Enums.eventState[Int(record.status)])
        w.key("visibility")
        w.string(Enums.visibility[Int(record.secondaryStatus)])
        w.key("experience_id")
        w.string(self.experienceID(self.experienceIndex(forEvent: index)))
        w.key("capacity")
        w.beginObject()
        w.key("total")
        w.int(self.eventCapacity(index))
        w.key("reserved")
        w.int(Int(record.reservedSeats))
        w.endObject()
        w.key("sessions")
        w.beginArray()
        let sessions = r.percent(75) ? 1 : r.between(2, 4)
        let timezone = index == 0 ? "Europe/Copenhagen" : r.pick(TextPools.timezones)
        var start = record.startKey
        for n in 0..<sessions {
            let duration: Int64 = r.oneIn(30) ? 2 * 86_400 + 3600 : Int64(r.between(2, 32)) * 900
            w.beginObject()
            w.key("id")
            w.string(self.hexID(.sessionID, index &* 8 &+ n, prefix: "ses_"))
            w.key("start_time")
            w.localTime(seconds: start)
            w.key("end_time")
            w.localTime(seconds: start + duration)
            w.key("timezone")
            w.string(timezone)
            w.key("location_id")
            w.string("loc_\(r.below(25))")
            w.key("languages")
            w.beginArray()
            let languageCount = r.between(1, 3)
            var used: Set<String> = []
            for _ in 0..<languageCount {
                let language = r.pick(Self.sessionLanguages)
                if used.insert(language).inserted { w.string(language) }
            }
            w.endArray()
            w.endObject()
            start += Int64(r.between(1, 7)) * 86_400
        }
        w.endArray()
        w.key("created_at")
        w.timestamp(micros: record.createdAt)
        w.key("updated_at")
        w.timestamp(micros: record.updatedAt)
        self.writeMetadata(&w, &r, index)
        self.writeUnknownFields(&w, &r, index)
        w.endObject()
        return JSONSurgery.shaped(w.bytes, by: record)
    }

    // MARK: experiences

    func makeExperience(_ index: Int) -> (Record, [[UInt8]]) {
        var s = self.random(.experienceState, index)
        let created = self.precision(self.anchor - self.history - s.between(0, 365 * SimulatorTime.microsPerDay), &s)
        let updated = self.generatedUpdatedAt(createdAt: created, &s)
        var record = Record(id: self.experienceID(index), createdAt: created, updatedAt: updated, status: UInt8(s.weighted([80, 15, 5])))
        let localized = self.languages.indices.map { self.renderExperience(index, record, language: $0) }
        record.json = localized[0]
        return (record, localized)
    }

    func renderExperience(_ index: Int, _ record: Record, language: Int) -> [UInt8] {
        var r = self.random(.experience, index)
        let names = TextPools.experienceNames[index % TextPools.experienceNames.count]
        let code = self.languages[language]
        var name: String
        switch code.prefix(2) {
        case "da": name = names.da
        case "de": name = names.de
        case "en": name = names.en
        default: name = names.en + " [\(code)]"
        }
        if index >= TextPools.experienceNames.count { name += " #\(index)" }
        var w = JSONWriter(capacity: 900)
        w.beginObject()
        w.key("id")
        w.string(record.id)
        w.key("type")
        w.string(r.percent(70) ? "SINGLE_SESSION" : "MULTI_SESSION")
        w.key("state")
        w.string(Enums.experienceState[Int(record.status)])
        w.key("name")
        w.string(name)
        w.key("created_at")
        w.timestamp(micros: record.createdAt)
        w.key("updated_at")
        w.timestamp(micros: record.updatedAt)
        let pDescription = self.presence(&r, index, present: 70)
        let description =
            index == 1 || r.oneIn(5)
            ? "# \(name)\n\n" + TextPools.long(&r, minimumBytes: 8000)
            : "## \(name)\n\n* Bring warm clothes 🧥\n* Meet at the \"red\" door\n\n> Note: `C:\\path`\tand tabs"
        self.optional(&w, "description", pDescription) { $0.string(description) }
        let pTags = self.presence(&r, index, present: 60)
        let tagCount = r.below(4)
        var tags: [String] = []
        for _ in 0..<tagCount { tags.append(r.pick(TextPools.tagIDs)) }
        self.optional(&w, "tag_ids", pTags) { w in
            w.beginArray()
            for tag in tags { w.string(tag) }
            w.endArray()
        }
        let pMedia = self.presence(&r, index, present: 60)
        let mediaCount = r.between(0, 3)
        self.optional(&w, "media", pMedia) { w in
            w.beginArray()
            for m in 0..<mediaCount {
                w.beginObject()
                w.key("type")
                w.string(m == 2 ? "VIDEO" : "IMAGE")
                w.key("mime_type")
                w.string(m == 2 ? "video/mp4" : "image/jpeg")
                w.key("url")
                w.string("https://cdn.example.com/media/\(record.id)/\(m).jpg?w=1200&h=800&fit=crop&q=\"80\"")
                w.endObject()
            }
            w.endArray()
        }
        self.writeMetadata(&w, &r, index)
        self.writeUnknownFields(&w, &r, index)
        w.endObject()
        return JSONSurgery.shaped(w.bytes, by: record)
    }
}
