import CivilTime
import Foundation
import Testing

@Suite("the civil calendar (days since 1970 ↔ year, month, day)")
struct CivilCalendarTests {
    @Test("known dates have their day numbers, before 1970 and after 2100 too")
    func knownDates() {
        let known: [(Int, Int, Int, Int)] = [
            (1970, 1, 1, 0), (1969, 12, 31, -1), (2000, 2, 29, 11_016), (2000, 3, 1, 11_017), (1900, 3, 1, -25_508),
            (1600, 1, 1, -135_140), (2100, 3, 1, 47_541), (0, 3, 1, -719_468),
        ]
        for (year, month, day, days) in known {
            #expect(CivilCalendar.daysFromCivil(year: year, month: month, day: day) == days, "\(year)-\(month)-\(day)")
            #expect(CivilCalendar.civilFromDays(days) == (year, month, day), "day \(days)")
        }
    }

    @Test("every day from 1600 to 2400 round-trips and agrees with Foundation's Gregorian calendar on sample days")
    func roundTrip() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: "UTC"))
        var expected = (year: 1600, month: 1, day: 1)
        var wrong: [Int] = []
        for days in CivilCalendar.daysFromCivil(year: 1600, month: 1, day: 1)..<CivilCalendar.daysFromCivil(year: 2400, month: 1, day: 1) {
            let civil = CivilCalendar.civilFromDays(days)
            if civil != expected || CivilCalendar.daysFromCivil(year: civil.year, month: civil.month, day: civil.day) != days { wrong.append(days) }
            if days % 997 == 0 {
                let parts = calendar.dateComponents([.year, .month, .day], from: Date(timeIntervalSince1970: Double(days) * 86_400))
                if parts.year != civil.year || parts.month != civil.month || parts.day != civil.day { wrong.append(days) }
            }
            expected.day += 1
            if expected.day > CivilCalendar.daysInMonth(year: expected.year, month: expected.month) {
                expected = expected.month == 12 ? (expected.year + 1, 1, 1) : (expected.year, expected.month + 1, 1)
            }
        }
        #expect(wrong.isEmpty, "days that do not round-trip or that Foundation dates otherwise: \(wrong.prefix(10))")
    }

    @Test("leap years: every fourth, except centuries, except every fourth century")
    func leapYears() {
        #expect([1996, 2000, 2024, 2400].allSatisfy(CivilCalendar.isLeap))
        #expect(![1900, 2023, 2100, 2200].contains(where: CivilCalendar.isLeap))
        #expect(CivilCalendar.daysInMonth(year: 2024, month: 2) == 29 && CivilCalendar.daysInMonth(year: 2100, month: 2) == 28)
    }
}
