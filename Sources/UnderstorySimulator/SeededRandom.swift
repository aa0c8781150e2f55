/// SplitMix64: a tiny, fast, seedable generator. Every random choice the simulator makes comes from
/// one of these, seeded from the configuration's seed, so a seed and sizes always give the same data.
struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    init(seed: UInt64) {
        self.state = seed
    }

    /// A generator for one record: independent of every other record, so records can be generated
    /// in any order (and in parallel) and re-rendered later with the same choices.
    init(seed: UInt64, stream: UInt64, index: Int, version: UInt32 = 0) {
        let a = SeededRandom.mix(seed &+ stream &* 0x9E37_79B9_7F4A_7C15)
        let b = SeededRandom.mix(a ^ UInt64(truncatingIfNeeded: index) &* 0xD1B5_4A32_D192_ED03)
        self.state = SeededRandom.mix(b &+ UInt64(version) &* 0x8CB9_2BA7_2F3D_8DD7)
    }

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        return SeededRandom.mix(self.state)
    }

    /// The SplitMix64 finaliser. A bijection on UInt64, which makes ids derived from it unique.
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform-enough integer in `0..<bound` (bias is below 2^-40 for the bounds used here).
    mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0)
        return Int(truncatingIfNeeded: self.next() % UInt64(bound))
    }

    mutating func between(_ low: Int, _ high: Int) -> Int {
        low + self.below(high - low + 1)
    }

    mutating func between(_ low: Int64, _ high: Int64) -> Int64 {
        low + Int64(truncatingIfNeeded: self.next() % UInt64(high - low + 1))
    }

    /// True with probability `percent`/100.
    mutating func percent(_ percent: Int) -> Bool {
        self.below(100) < percent
    }

    /// True with probability 1/`n`.
    mutating func oneIn(_ n: Int) -> Bool {
        self.below(n) == 0
    }

    mutating func unit() -> Double {
        Double(self.next() >> 11) / Double(UInt64(1) << 53)
    }

    mutating func pick<T>(_ values: [T]) -> T {
        values[self.below(values.count)]
    }

    /// Index chosen with the given integer weights.
    mutating func weighted(_ weights: [Int]) -> Int {
        var total = 0
        for w in weights { total += w }
        var roll = self.below(total)
        for (i, w) in weights.enumerated() {
            if roll < w { return i }
            roll -= w
        }
        return weights.count - 1
    }
}
