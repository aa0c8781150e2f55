/// The values one cron field allows (0...63), as bits.
struct CronBitSet: Sendable, Hashable {
    private(set) var bits: UInt64 = 0

    func contains(_ value: Int) -> Bool { value >= 0 && value < 64 && bits & (1 << UInt64(value)) != 0 }

    mutating func insert(_ value: Int) { bits |= 1 << UInt64(value) }

    /// The allowed values, ascending.
    var values: [Int] { (0..<64).filter(contains) }
}
