import Foundation
import SyncEngine
import Testing

@Suite("cron expressions: parsing and next fire times")
struct CronExpressionTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var expression: String
        var zone: String
        var after: String
        /// The next fire times, each after the previous one, as ISO 8601 with the zone's offset.
        var fires: [String]
        var note: String
        var testDescription: String { "\(note): \(expression) in \(zone) after \(after)" }
    }

    static let cases: [Case] = [
        Case(expression: "*/15 * * * *", zone: "UTC", after: "2026-01-10T10:07:00Z",
             fires: ["2026-01-10T10:15:00Z", "2026-01-10T10:30:00Z", "2026-01-10T10:45:00Z", "2026-01-10T11:00:00Z"], note: "every quarter hour"),
        Case(expression: "*/15 * * * *", zone: "UTC", after: "2026-01-10T10:15:00Z",
             fires: ["2026-01-10T10:30:00Z"], note: "strictly after a fire time"),
        Case(expression: "1-10/3 * * * *", zone: "UTC", after: "2026-01-10T10:00:00Z",
             fires: ["2026-01-10T10:01:00Z", "2026-01-10T10:04:00Z", "2026-01-10T10:07:00Z", "2026-01-10T10:10:00Z", "2026-01-10T11:01:00Z"],
             note: "range with step"),
        Case(expression: "0 9 * * MON-FRI", zone: "UTC", after: "2026-01-09T09:00:00Z",
             fires: ["2026-01-12T09:00:00Z", "2026-01-13T09:00:00Z"], note: "weekdays skip the weekend"),
        Case(expression: "0 9 * * mon-fri", zone: "Europe/Copenhagen", after: "2026-01-09T08:59:00+01:00",
             fires: ["2026-01-09T09:00:00+01:00", "2026-01-12T09:00:00+01:00"], note: "names in any case, local zone"),
        // Spring forward: 02:30 does not exist; it runs at 03:00, once.
        Case(expression: "30 2 * * *", zone: "Europe/Copenhagen", after: "2026-03-28T02:30:00+01:00",
             fires: ["2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00"], note: "Copenhagen spring-forward"),
        // Fall back: 02:30 happens twice; it runs at the first.
        Case(expression: "30 2 * * *", zone: "Europe/Copenhagen", after: "2026-10-24T12:00:00+02:00",
             fires: ["2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"], note: "Copenhagen fall-back"),
        Case(expression: "30 2 * * *", zone: "America/New_York", after: "2026-03-07T12:00:00-05:00",
             fires: ["2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00"], note: "New York spring-forward"),
        Case(expression: "30 2 * * *", zone: "America/New_York", after: "2026-10-31T12:00:00-04:00",
             fires: ["2026-11-01T02:30:00-05:00", "2026-11-02T02:30:00-05:00"], note: "New York fall-back (02:30 is not repeated)"),
        Case(expression: "30 1 * * *", zone: "America/New_York", after: "2026-10-31T12:00:00-04:00",
             fires: ["2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"], note: "New York fall-back (01:30 is repeated)"),
        Case(expression: "15,45 2 * * *", zone: "Europe/Copenhagen", after: "2026-03-29T00:00:00+01:00",
             fires: ["2026-03-29T03:00:00+02:00", "2026-03-30T02:15:00+02:00"], note: "two skipped times run once after the gap"),
        // Wildcard entries follow the wall clock: skipped times are skipped, repeated ones repeat.
        Case(expression: "*/30 * * * *", zone: "Europe/Copenhagen", after: "2026-03-29T01:15:00+01:00",
             fires: ["2026-03-29T01:30:00+01:00", "2026-03-29T03:00:00+02:00", "2026-03-29T03:30:00+02:00"], note: "wildcard over the gap"),
        Case(expression: "15 * * * *", zone: "Europe/Copenhagen", after: "2026-03-29T01:30:00+01:00",
             fires: ["2026-03-29T03:15:00+02:00"], note: "hourly entry skips the missing hour"),
        Case(expression: "*/30 * * * *", zone: "Europe/Copenhagen", after: "2026-10-25T01:45:00+02:00",
             fires: ["2026-10-25T02:00:00+02:00", "2026-10-25T02:30:00+02:00", "2026-10-25T02:00:00+01:00", "2026-10-25T02:30:00+01:00", "2026-10-25T03:00:00+01:00"],
             note: "wildcard through the repeated hour"),
        Case(expression: "0 0 29 2 *", zone: "UTC", after: "2026-03-01T00:00:00Z",
             fires: ["2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"], note: "Feb 29 waits for the next leap year"),
        Case(expression: "0 0 29 2 *", zone: "UTC", after: "2096-03-01T00:00:00Z",
             fires: ["2104-02-29T00:00:00Z"], note: "2100 is not a leap year"),
        Case(expression: "0 0 13 * FRI", zone: "UTC", after: "2026-01-01T00:00:00Z",
             fires: ["2026-01-02T00:00:00Z", "2026-01-09T00:00:00Z", "2026-01-13T00:00:00Z", "2026-01-16T00:00:00Z"],
             note: "day-of-month OR day-of-week when both are restricted"),
        Case(expression: "0 0 */10 * MON", zone: "UTC", after: "2026-01-01T00:00:00Z",
             fires: ["2026-05-11T00:00:00Z", "2026-06-01T00:00:00Z"], note: "AND when day-of-month starts with *"),
        Case(expression: "0 12 * jan,Jul sun", zone: "UTC", after: "2026-01-10T00:00:00Z",
             fires: ["2026-01-11T12:00:00Z", "2026-01-18T12:00:00Z"], note: "month and day names"),
        Case(expression: "0 0 * * 7", zone: "UTC", after: "2026-01-10T00:00:00Z",
             fires: ["2026-01-11T00:00:00Z"], note: "7 is Sunday"),
        Case(expression: "0 0 * * 5-7", zone: "UTC", after: "2026-01-10T12:00:00Z",
             fires: ["2026-01-11T00:00:00Z", "2026-01-16T00:00:00Z", "2026-01-17T00:00:00Z"], note: "range up to 7"),
        Case(expression: "0 0 1 DEC *", zone: "UTC", after: "2026-01-01T00:00:00Z",
             fires: ["2026-12-01T00:00:00Z", "2027-12-01T00:00:00Z"], note: "month name"),
        Case(expression: "@hourly", zone: "UTC", after: "2026-01-10T10:07:00Z", fires: ["2026-01-10T11:00:00Z"], note: "macro"),
        Case(expression: "@daily", zone: "Europe/Copenhagen", after: "2026-01-10T10:07:00+01:00", fires: ["2026-01-11T00:00:00+01:00"], note: "macro"),
        Case(expression: "@MIDNIGHT", zone: "UTC", after: "2026-01-10T10:07:00Z", fires: ["2026-01-11T00:00:00Z"], note: "macro"),
        Case(expression: "@weekly", zone: "UTC", after: "2026-01-10T10:07:00Z", fires: ["2026-01-11T00:00:00Z", "2026-01-18T00:00:00Z"], note: "macro"),
        Case(expression: "@monthly", zone: "UTC", after: "2026-01-10T10:07:00Z", fires: ["2026-02-01T00:00:00Z"], note: "macro"),
        Case(expression: "@yearly", zone: "UTC", after: "2026-01-10T10:07:00Z", fires: ["2027-01-01T00:00:00Z"], note: "macro"),
        Case(expression: "@annually", zone: "UTC", after: "2026-01-10T10:07:00Z", fires: ["2027-01-01T00:00:00Z"], note: "macro"),
    ]

    @Test("next fire times match the known table", arguments: cases)
    func nextFires(_ example: Case) throws {
        let zone = try #require(TimeZone(identifier: example.zone))
        let cron = try CronExpression(example.expression)
        var after = try Date(example.after, strategy: .iso8601)
        var fires = [String]()
        for _ in example.fires {
            let next = try #require(cron.nextFire(after: after, in: zone))
            fires.append(Scheduler.format(next, in: zone))
            after = next
        }
        #expect(fires == example.fires)
    }

    @Test("the error message names the field and the position")
    func errorMessage() {
        #expect(throws: CronExpressionError.self) { try CronExpression("*/0 * * * *") }
        do {
            _ = try CronExpression("*/0 * * * *")
        } catch {
            #expect(error.description == #"invalid cron expression "*/0 * * * *": step must be at least 1 (field minute, position 3)"#)
        }
    }

    struct Invalid: Sendable, CustomTestStringConvertible {
        var expression: String
        var field: CronExpression.Field?
        var position: Int?
        var testDescription: String { "\"\(expression)\"" }
    }

    static let invalid: [Invalid] = [
        Invalid(expression: "*/0 * * * *", field: .minute, position: 3),
        Invalid(expression: "60 * * * *", field: .minute, position: 1),
        Invalid(expression: "* 24 * * *", field: .hour, position: 3),
        Invalid(expression: "* * 0 * *", field: .dayOfMonth, position: 5),
        Invalid(expression: "* * * 13 *", field: .month, position: 7),
        Invalid(expression: "* * * * 8", field: .dayOfWeek, position: 9),
        Invalid(expression: "* * * FOO *", field: .month, position: 7),
        Invalid(expression: "* * * * MON-FOO", field: .dayOfWeek, position: 13),
        Invalid(expression: "MON * * * *", field: .minute, position: 1),
        Invalid(expression: "5-1 * * * *", field: .minute, position: 3),
        Invalid(expression: "1,,2 * * * *", field: .minute, position: 3),
        Invalid(expression: "1x * * * *", field: .minute, position: 2),
        Invalid(expression: "*/ * * * *", field: .minute, position: 3),
        Invalid(expression: "0 */99 * * *", field: .hour, position: 5),
        Invalid(expression: "0 0 30 2 *", field: .dayOfMonth, position: 5),
        Invalid(expression: "* * * *", field: nil, position: nil),
        Invalid(expression: "* * * * * *", field: nil, position: 11),
        Invalid(expression: "", field: nil, position: nil),
        Invalid(expression: "@reboot", field: nil, position: 1),
        Invalid(expression: "@daily *", field: nil, position: 8),
    ]

    @Test("invalid expressions are rejected with field and position", arguments: invalid)
    func rejects(_ example: Invalid) {
        do {
            let cron = try CronExpression(example.expression)
            Issue.record("accepted \(cron)")
        } catch {
            #expect(error.field == example.field, "\(error)")
            #expect(error.position == example.position, "\(error)")
            #expect(error.description.hasPrefix("invalid cron expression \"\(example.expression)\": "))
        }
    }
}
