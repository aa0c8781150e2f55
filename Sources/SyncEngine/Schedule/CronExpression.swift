import CivilTime
import Foundation

/// A standard five-field cron expression (`minute hour day-of-month month day-of-week`) and the
/// fire times it describes in a given time zone.
///
/// Supports lists (`1,15`), ranges (`9-17`), steps (`*/15`, `1-10/2`, `5/15` = `5-59/15`), month
/// and day names (`JAN`–`DEC`, `SUN`–`SAT`, any case; 0 and 7 are Sunday), and the macros
/// `@hourly`, `@daily`/`@midnight`, `@weekly`, `@monthly`, `@yearly`/`@annually`.
///
/// Day rule (as Vixie cron): when both day-of-month and day-of-week are restricted (neither field
/// starts with `*`), a day matches if either matches; otherwise both must match.
///
/// Daylight-saving time (as Vixie cron and cronie): a *fixed-time* entry (neither minute nor hour
/// starts with `*`, e.g. `30 2 * * *`) fires once per matching local time — at its first occurrence
/// when the clock falls back, and at the first instant after the gap when the clock springs
/// forward over it (02:30 runs at 03:00). A *wildcard* entry (`*/15 * * * *`, `0 * * * *`) follows
/// the wall clock: local times that do not exist are skipped, repeated ones fire each time.
///
/// A pure value: no clock, no global state.
public struct CronExpression: Sendable, Hashable, CustomStringConvertible {
    /// The five fields, in order.
    public enum Field: Int, Sendable, CaseIterable, CustomStringConvertible {
        case minute, hour, dayOfMonth, month, dayOfWeek

        public var description: String {
            switch self {
            case .minute: "minute"
            case .hour: "hour"
            case .dayOfMonth: "day-of-month"
            case .month: "month"
            case .dayOfWeek: "day-of-week"
            }
        }

        /// The values the field accepts (day-of-week 7 is Sunday, stored as 0).
        public var bounds: ClosedRange<Int> {
            switch self {
            case .minute: 0...59
            case .hour: 0...23
            case .dayOfMonth: 1...31
            case .month: 1...12
            case .dayOfWeek: 0...7
            }
        }

        var names: [String] {
            switch self {
            case .month: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
            case .dayOfWeek: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
            default: []
            }
        }

        /// The value of a name (`JAN` = 1, `SUN` = 0), if the field has names.
        func value(ofName name: String) -> Int? {
            guard let index = names.firstIndex(of: name.lowercased()) else { return nil }
            return self == .month ? index + 1 : index
        }
    }

    /// The expression as given (a macro stays a macro).
    public let source: String
    let minutes: CronBitSet
    let hours: CronBitSet
    let daysOfMonth: CronBitSet
    let months: CronBitSet
    let daysOfWeek: CronBitSet
    /// Day-of-month / day-of-week do not start with `*` (the Vixie "restricted" test).
    let dayOfMonthRestricted: Bool
    let dayOfWeekRestricted: Bool
    /// Neither minute nor hour starts with `*`: DST gaps run late, repeats run once.
    let fixedTime: Bool

    public var description: String { source }

    /// Parses `expression`; throws naming the field and position of the first error.
    public init(_ expression: String) throws(CronExpressionError) {
        source = expression
        var parser = CronParser(expression: expression)
        let fields = try parser.parseFields()
        minutes = fields.sets[0]
        hours = fields.sets[1]
        daysOfMonth = fields.sets[2]
        months = fields.sets[3]
        daysOfWeek = fields.sets[4]
        fixedTime = !fields.texts[0].hasPrefix("*") && !fields.texts[1].hasPrefix("*")
        dayOfMonthRestricted = !fields.texts[2].hasPrefix("*")
        dayOfWeekRestricted = !fields.texts[4].hasPrefix("*")

        // A day-of-month that no chosen month has (`0 0 30 2 *`) would never fire.
        if !(dayOfMonthRestricted && dayOfWeekRestricted) {
            let possible = months.values.contains { month in
                daysOfMonth.values.contains { $0 <= CivilCalendar.daysInMonth(year: 2000, month: month) }
            }
            if !possible {
                throw CronExpressionError(
                    expression: expression, reason: "no chosen month has that day, so it never fires",
                    field: .dayOfMonth, position: fields.positions[2]
                )
            }
        }
    }

    /// Whether a local calendar day matches the month and day fields.
    func matches(_ date: CivilDate) -> Bool {
        guard months.contains(date.month) else { return false }
        let dom = daysOfMonth.contains(date.day)
        let dow = daysOfWeek.contains(date.weekday)
        return dayOfMonthRestricted && dayOfWeekRestricted ? (dom || dow) : (dom && dow)
    }

    /// The first fire time strictly after `date`, with wall-clock fields read in `timeZone`;
    /// `nil` if there is none within nine years (an impossible day such as Apr 31 on a Monday-only
    /// schedule cannot happen: parsing rejects it; nine years cover Feb 29 across 2100).
    public func nextFire(after date: Date, in timeZone: TimeZone) -> Date? {
        let after = date.timeIntervalSince1970
        let whole = Int(after.rounded(.down))
        let localNow = whole + timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(whole)))
        var day = CivilDate.floorDiv(localNow, 86_400)
        for _ in 0..<(366 * 9) {
            let civil = CivilDate(daysSinceEpoch: day)
            if matches(civil), let fire = firstFire(onDay: day, after: after, in: timeZone) {
                return Date(timeIntervalSince1970: TimeInterval(fire))
            }
            day += 1
        }
        return nil
    }

    /// The earliest fire instant (seconds since 1970) of the local day `day` that is after `after`.
    private func firstFire(onDay day: Int, after: Double, in zone: TimeZone) -> Int? {
        let dayStart = day * 86_400
        let before = zone.offset(at: dayStart - 86_400)
        let later = zone.offset(at: dayStart + 2 * 86_400)
        if before == later, zone.offset(at: dayStart + 43_200 - before) == before {
            // No transition near this day: wall time maps to one instant, in order.
            for hour in hours.values {
                for minute in minutes.values {
                    let instant = dayStart + hour * 3_600 + minute * 60 - before
                    if Double(instant) > after { return instant }
                }
            }
            return nil
        }
        // Around a transition a wall time maps to zero, one or two instants, and wall-clock order
        // is not instant order; no instant is earlier than its wall time minus the larger offset.
        let largestOffset = max(before, later)
        var best: Int?
        for hour in hours.values {
            for minute in minutes.values {
                let wall = dayStart + hour * 3_600 + minute * 60
                if let best, wall - largestOffset > best { return best }
                for instant in instants(ofWallTime: wall, in: zone)
                where Double(instant) > after && instant < (best ?? .max) {
                    best = instant
                }
            }
        }
        return best
    }

    /// The instants at which this entry fires for a local wall time (seconds since 1970 as if UTC).
    private func instants(ofWallTime wall: Int, in zone: TimeZone) -> [Int] {
        let offsets = Set([zone.offset(at: wall - 86_400), zone.offset(at: wall + 86_400)])
        let candidates = offsets.map { wall - $0 }.sorted()
        let valid = candidates.filter { zone.offset(at: $0) == wall - $0 }
        if !valid.isEmpty { return fixedTime ? [valid[0]] : valid }
        // The wall time falls in a gap (clocks sprang forward over it).
        guard fixedTime, let low = candidates.first, let high = candidates.last, low < high else { return [] }
        return [zone.firstInstant(withOffsetOf: high, after: low)]
    }
}

extension TimeZone {
    /// Offset from UTC in seconds at an instant given as seconds since 1970.
    func offset(at instant: Int) -> Int {
        secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(instant)))
    }

    /// The first instant in `(low, high]` that has the offset in force at `high` (a transition).
    func firstInstant(withOffsetOf high: Int, after low: Int) -> Int {
        let target = offset(at: high)
        var low = low
        var high = high
        while high - low > 1 {
            let middle = low + (high - low) / 2
            if offset(at: middle) == target { high = middle } else { low = middle }
        }
        return high
    }
}
