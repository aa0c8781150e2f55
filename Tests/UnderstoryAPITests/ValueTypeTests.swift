import Foundation
import Testing
import URLEncoding
import UnderstorySimulator

@testable import UnderstoryAPI

@Suite("Money, timestamps, local date-times")
struct ValueTypeTests {
    @Test(
        "money converts exactly for exponents 0, 2, 3 and values beyond 2^31",
        arguments: [
            (Money(currency: "JPY", value: 4_294_967_296, exponent: 0), "4294967296"),
            (Money(currency: "DKK", value: 2500, exponent: 2), "25.00"),
            (Money(currency: "DKK", value: 5, exponent: 2), "0.05"),
            (Money(currency: "KWD", value: 1_234_567, exponent: 3), "1234.567"),
            (Money(currency: "KWD", value: -7, exponent: 3), "-0.007"),
            (Money(currency: "ISK", value: 9_007_199_254_740_993, exponent: 0), "9007199254740993"),
            (Money(currency: "EUR", value: 9_223_372_036_854_775_807, exponent: 2), "92233720368547758.07"),
            (Money(currency: "EUR", value: 0, exponent: 2), "0.00"),
        ]
    )
    func moneyExact(money: Money, text: String) {
        #expect(money.majorUnitsText == text)
        #expect(money.amount == Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")))
    }

    @Test("money decodes from JSON without going through Double")
    func moneyDecodes() throws {
        let json = Data(#"{"currency":"ISK","value":9007199254740993,"exponent":0,"extra":1}"#.utf8)
        let money = try JSONDecoder().decode(Money.self, from: json)
        #expect(money.value == 9_007_199_254_740_993)
        #expect(money.majorUnitsText == "9007199254740993")
    }

    @Test(
        "RFC 3339 timestamps with and without fractions and with any offset",
        arguments: [
            ("2019-08-24T14:15:22Z", "2019-08-24T14:15:22Z"),
            ("2019-08-24T14:15:22.5Z", "2019-08-24T14:15:22.5Z"),
            ("2019-08-24T14:15:22.123456Z", "2019-08-24T14:15:22.123456Z"),
            ("2026-01-29T19:29:01.856844592Z", "2026-01-29T19:29:01.856844592Z"),
            ("2019-08-24T16:15:22+02:00", "2019-08-24T14:15:22Z"),
            ("2019-08-24T09:45:22.25-04:30", "2019-08-24T14:15:22.25Z"),
            ("2019-08-24t14:15:22z", "2019-08-24T14:15:22Z"),
            ("2019-08-24 14:15:22+0000", "2019-08-24T14:15:22Z"),
            ("1969-12-31T23:59:59.9Z", "1969-12-31T23:59:59.9Z"),
            ("2024-02-29T00:00:00Z", "2024-02-29T00:00:00Z"),
        ]
    )
    func timestamps(input: String, normalised: String) throws {
        let timestamp = try #require(Timestamp(rfc3339: input))
        #expect(timestamp.rfc3339 == normalised)
    }

    @Test(
        "malformed timestamps are rejected",
        arguments: ["", "2019-08-24", "2019-08-24T14:15:22", "2019-02-30T00:00:00Z", "2019-08-24T24:00:00Z", "2019-08-24T14:15:22.Z", "2019-08-24T14:15:22+25:00", "x2019-08-24T14:15:22Z"]
    )
    func badTimestamps(input: String) {
        #expect(Timestamp(rfc3339: input) == nil)
    }

    @Test("timestamps compare exactly and format for queries without fraction")
    func timestampOrderingAndQuery() throws {
        let a = try #require(Timestamp(rfc3339: "2024-05-01T10:00:00.000001Z"))
        let b = try #require(Timestamp(rfc3339: "2024-05-01T12:00:00.000002+02:00"))
        #expect(a < b)
        #expect(a.queryString == "2024-05-01T10:00:00Z")
        #expect(ListQuery(from: a, to: a).items.map(\.1) == ["2024-05-01T10:00:00Z", "2024-05-01T10:00:01Z"])
        #expect(Timestamp(Date(timeIntervalSince1970: 1_700_000_000.25)).rfc3339 == "2023-11-14T22:13:20.25Z")
    }

    @Test("local date-times parse and format without offset")
    func localDateTimes() throws {
        let t = try #require(LocalDateTime("2025-10-26T02:30:00"))
        #expect(t.queryString == "2025-10-26T02:30:00")
        #expect(LocalDateTime("2025-01-15T09:00")?.queryString == "2025-01-15T09:00:00")
        #expect(LocalDateTime("2025-01-15")?.queryString == "2025-01-15T00:00:00")
        #expect(LocalDateTime("2025-01-15T09:00:00.5")?.description == "2025-01-15T09:00:00.5")
        #expect(LocalDateTime("2025-01-15T09:00:00+01:00")?.utcOffsetSeconds == 3600)
        #expect(LocalDateTime("2025-13-01T00:00:00") == nil)
        #expect(LocalDateTime(year: 2025, month: 2, day: 29) == nil)
        #expect(try #require(LocalDateTime("2025-01-15T09:00:00")) < t)
    }

    @Test("sort values are sent with + escaped as %2B")
    func sortEncoding() {
        let items = ListQuery(limit: 7, sort: .createdAscending).items
        #expect(PercentEncoding.formEncode(items) == "limit=7&sort=%2Bcreated_at")
        #expect(PercentEncoding.formEncode([("sort", Sort.updatedDescending.rawValue)]) == "sort=-updated_at")
    }
}
