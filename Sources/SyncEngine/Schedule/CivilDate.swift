import CivilTime

/// A proleptic Gregorian calendar day with its weekday, computed without Foundation
/// (``CivilCalendar``), so the schedule arithmetic is exact and needs no calendar object.
struct CivilDate: Sendable, Hashable {
    var year: Int
    var month: Int
    var day: Int
    /// 0 = Sunday … 6 = Saturday.
    var weekday: Int

    init(daysSinceEpoch days: Int) {
        (year, month, day) = CivilCalendar.civilFromDays(days)
        weekday = ((days % 7) + 7 + 4) % 7  // 1970-01-01 was a Thursday
    }

    static func floorDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }
}
