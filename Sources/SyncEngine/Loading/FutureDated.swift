/// How far past "now" an `updated_at` may lie before it counts as future-dated (a clock bug at the
/// API). Such items are stored as sent, but they never become the watermark and never count as
/// "newer" than the next version of the row — or one bad record would freeze incremental sync.
/// The Swift side and the SQL side use this one value.
enum FutureDated {
    static let toleranceSeconds: Int64 = 300

    /// The horizon in SQL, on the database's clock.
    static let horizonSQL = "(now() + interval '\(toleranceSeconds) seconds')"

    /// `expression` pulled back to the horizon when it lies beyond it; NULL stays NULL (a bare
    /// `LEAST` would turn a missing watermark into the horizon).
    static func clampedSQL(_ expression: String) -> String {
        "CASE WHEN \(expression) > \(horizonSQL) THEN \(horizonSQL) ELSE \(expression) END"
    }
}
