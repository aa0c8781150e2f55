/// The fields a table is ordered by. Every order is total: ties on the key are broken by id.
enum SortField: Sendable, Hashable {
    case created
    case updated
    /// Events: first session's local start time.
    case start
}

/// Where a page starts.
enum CursorPosition: Sendable, Hashable {
    case start
    /// Unstable paging: this many matching items of the *current* order were already served.
    case offset(Int)
    /// Stable (keyset) paging: continue after this (key, id) in the requested direction.
    case after(key: Int64, id: String)
}

struct PageRequest: Sendable {
    var field: SortField
    var descending: Bool
    /// The field `from`/`to` apply to (`created` for bookings/orders, `start` for events).
    var filterField: SortField
    /// Inclusive lower bound of the filter key.
    var from: Int64?
    /// Exclusive upper bound of the filter key.
    var to: Int64?
    var limit: Int
    var position: CursorPosition
    var unstable: Bool
}

struct PageResult: Sendable {
    var indices: [Int]
    /// nil on the last page.
    var next: CursorPosition?
}

/// Records plus sorted index arrays kept up to date on every change, so a page costs
/// O(log n + page size) (binary search, then a walk). When a filter applies to a field other than
/// the sort field (bookings/orders sorted by `updated_at` and filtered by `from`/`to`), the walk
/// skips non-matching records, which costs extra in proportion to what it skips.
struct Table: Sendable {
    private(set) var records: [Record]
    private(set) var positions: [String: Int]
    private(set) var byCreated: [Int32] = []
    private(set) var byUpdated: [Int32] = []
    private(set) var byStart: [Int32] = []
    let fields: [SortField]

    init(records: [Record], fields: [SortField]) {
        self.records = records
        self.fields = fields
        var positions: [String: Int] = [:]
        positions.reserveCapacity(records.count)
        for (i, record) in records.enumerated() { positions[record.id] = i }
        self.positions = positions
        for field in fields {
            let keys = records.map { Table.key($0, field) }
            let ids = records.map(\.id)
            var order = (0..<records.count).map { Int32($0) }
            keys.withUnsafeBufferPointer { keys in
                order.sort { a, b in
                    let ka = keys[Int(a)]
                    let kb = keys[Int(b)]
                    return ka != kb ? ka < kb : ids[Int(a)] < ids[Int(b)]
                }
            }
            self.setOrder(order, for: field)
        }
    }

    var count: Int { self.records.count }

    subscript(index: Int) -> Record { self.records[index] }

    func index(of id: String) -> Int? { self.positions[id] }

    static func key(_ record: Record, _ field: SortField) -> Int64 {
        switch field {
        case .created: return record.createdAt
        case .updated: return record.updatedAt
        case .start: return record.startKey
        }
    }

    func order(_ field: SortField) -> [Int32] {
        switch field {
        case .created: return self.byCreated
        case .updated: return self.byUpdated
        case .start: return self.byStart
        }
    }

    private mutating func setOrder(_ order: [Int32], for field: SortField) {
        switch field {
        case .created: self.byCreated = order
        case .updated: self.byUpdated = order
        case .start: self.byStart = order
        }
    }

    private mutating func modifyOrder(_ field: SortField, _ body: (inout [Int32]) -> Void) {
        switch field {
        case .created: body(&self.byCreated)
        case .updated: body(&self.byUpdated)
        case .start: body(&self.byStart)
        }
    }

    /// First position whose (key, id) is >= (key, id); a nil id sorts before every id.
    static func lowerBound(_ order: [Int32], _ records: [Record], _ field: SortField, key: Int64, id: String?) -> Int {
        var low = 0
        var high = order.count
        while low < high {
            let mid = (low + high) / 2
            let record = records[Int(order[mid])]
            let k = Table.key(record, field)
            let isLess: Bool
            if k != key {
                isLess = k < key
            } else if let id {
                isLess = record.id < id
            } else {
                isLess = false
            }
            if isLess { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// First position whose (key, id) is > (key, id).
    static func upperBound(_ order: [Int32], _ records: [Record], _ field: SortField, key: Int64, id: String) -> Int {
        var low = 0
        var high = order.count
        while low < high {
            let mid = (low + high) / 2
            let record = records[Int(order[mid])]
            let k = Table.key(record, field)
            let isLessOrEqual = k != key ? k < key : record.id <= id
            if isLessOrEqual { low = mid + 1 } else { high = mid }
        }
        return low
    }

    // MARK: changes

    mutating func append(_ record: Record) {
        let index = self.records.count
        self.records.append(record)
        self.positions[record.id] = index
        let records = self.records
        for field in self.fields {
            self.modifyOrder(field) { order in
                let p = Table.lowerBound(order, records, field, key: Table.key(record, field), id: record.id)
                order.insert(Int32(index), at: p)
            }
        }
    }

    /// Applies `change` to one record, keeping every sorted order correct.
    mutating func update(_ index: Int, _ change: (inout Record) -> Void) {
        let before = self.records[index]
        var after = before
        change(&after)
        var moved: [SortField] = []
        for field in self.fields where Table.key(before, field) != Table.key(after, field) {
            moved.append(field)
            let records = self.records
            self.modifyOrder(field) { order in
                let p = Table.lowerBound(order, records, field, key: Table.key(before, field), id: before.id)
                precondition(p < order.count && order[p] == Int32(index), "sorted order out of step")
                order.remove(at: p)
            }
        }
        self.records[index] = after
        let records = self.records
        for field in moved {
            self.modifyOrder(field) { order in
                let p = Table.lowerBound(order, records, field, key: Table.key(after, field), id: after.id)
                order.insert(Int32(index), at: p)
            }
        }
    }

    // MARK: paging

    func page(_ request: PageRequest) -> PageResult {
        let order = self.order(request.field)
        let records = self.records
        let contiguous = request.filterField == request.field
        var low = 0
        var high = order.count
        if contiguous {
            if let from = request.from { low = Table.lowerBound(order, records, request.field, key: from, id: nil) }
            if let to = request.to { high = max(low, Table.lowerBound(order, records, request.field, key: to, id: nil)) }
        }
        func matches(_ p: Int) -> Bool {
            if records[Int(order[p])].deleted { return false }
            if contiguous { return true }
            let k = Table.key(records[Int(order[p])], request.filterField)
            if let from = request.from, k < from { return false }
            if let to = request.to, k >= to { return false }
            return true
        }
        let step = request.descending ? -1 : 1
        var p: Int
        var served = 0
        switch request.position {
        case .start:
            p = request.descending ? high - 1 : low
        case .offset(let n):
            served = n
            if contiguous {
                p = request.descending ? high - 1 - n : low + n
            } else {
                p = request.descending ? high - 1 : low
                var seen = 0
                while seen < n, p >= low, p < high {
                    if matches(p) { seen += 1 }
                    p += step
                }
            }
        case .after(let key, let id):
            if request.descending {
                p = min(high - 1, Table.lowerBound(order, records, request.field, key: key, id: id) - 1)
            } else {
                p = max(low, Table.upperBound(order, records, request.field, key: key, id: id))
            }
        }
        var indices: [Int] = []
        indices.reserveCapacity(request.limit)
        while p >= low, p < high, indices.count < request.limit {
            if matches(p) { indices.append(Int(order[p])) }
            p += step
        }
        var more = false
        while p >= low, p < high {
            if matches(p) {
                more = true
                break
            }
            p += step
        }
        guard more, let last = indices.last else { return PageResult(indices: indices, next: nil) }
        if request.unstable {
            return PageResult(indices: indices, next: .offset(served + indices.count))
        }
        let record = records[last]
        return PageResult(indices: indices, next: .after(key: Table.key(record, request.field), id: record.id))
    }
}
