import Foundation
import PostgresClient
import SyncTestSupport
import Testing

@Suite("parameters and typed rows")
struct ParameterTests {
    @Test("NULL, empty and hostile strings round-trip through parameters unchanged")
    func stringsRoundTrip() async throws {
        try await TestDatabase.withSchema { connection, _ throws in
            for value in hostileStrings {
                let row = try await connection.execute("SELECT $1::text AS v, length($1::text) AS n", [value]).rows[0]
                #expect(try row["v"].decode(String.self) == value)
                #expect(try row["n"].decode(Int.self) == value.unicodeScalars.count)
            }
            let null = try await connection.execute("SELECT $1::text AS v", [nil]).rows[0]
            #expect(null["v"].isNull)
            #expect(try null["v"].decode(String?.self) == nil)
        }
    }

    @Test("Int64 extremes, doubles and booleans round-trip")
    func numbersRoundTrip() async throws {
        try await TestDatabase.withSchema { connection, _ throws in
            for value in [Int64.min, -1, 0, 1, Int64(Int32.max) + 1, Int64.max] {
                let row = try await connection.execute("SELECT $1::bigint AS v", [value]).rows[0]
                #expect(try row["v"].decode(Int64.self) == value)
            }
            for value in [0.1, -2.5e-300, 1.7976931348623157e308, Double.infinity] {
                let row = try await connection.execute("SELECT $1::float8 AS v", [value]).rows[0]
                #expect(try row["v"].decode(Double.self) == value)
            }
            let nan = try await connection.execute("SELECT $1::float8 AS v", [Double.nan]).rows[0]
            #expect(try nan["v"].decode(Double.self).isNaN)
            let flags = try await connection.execute("SELECT $1::bool AS t, $2::bool AS f", [true, false]).rows[0]
            #expect(try flags["t"].decode(Bool.self) == true)
            #expect(try flags["f"].decode(Bool.self) == false)
        }
    }

    @Test("numeric keeps every digit, as text and as Decimal")
    func numericExact() async throws {
        try await TestDatabase.withSchema { connection, _ throws in
            let long = "-123456789012345678901234567890123456789012345678901234567890.000000000000000000000000000001"
            let row = try await connection.execute("SELECT $1::numeric AS v", [long]).rows[0]
            #expect(try row["v"].decode(String.self) == long)

            let money = Decimal(string: "92233720368547758.07")!
            let decimalRow = try await connection.execute("SELECT $1::numeric AS v, $1::numeric * 100 AS minor", [money]).rows[0]
            #expect(try decimalRow["v"].decode(Decimal.self) == money)
            #expect(try decimalRow["minor"].decode(String.self) == "9223372036854775807.00")
        }
    }

    @Test("timestamptz with fractional seconds and offsets reads back as the same instant")
    func timestamps() async throws {
        try await TestDatabase.withSchema { connection, _ throws in
            let cases: [(String, String)] = [
                ("2024-02-29T23:59:59.123456+05:30", "2024-02-29 18:29:59.123456+00"),
                ("2019-08-24T14:15:22Z", "2019-08-24 14:15:22+00"),
                ("1999-12-31T23:59:60Z", "2000-01-01 00:00:00+00"),
                ("2026-03-29T01:30:00.5-08:00", "2026-03-29 09:30:00.5+00"),
            ]
            for (input, expected) in cases {
                let row = try await connection.execute("SELECT $1::timestamptz AS v", [input]).rows[0]
                #expect(try row["v"].decode(String.self) == expected)
            }
            let instant = Date(timeIntervalSince1970: 1_709_251_199.123456)
            let row = try await connection.execute("SELECT $1::timestamptz AS v", [instant]).rows[0]
            let back = try row["v"].decode(Date.self)
            #expect(abs(back.timeIntervalSince1970 - instant.timeIntervalSince1970) < 0.000_001)
            let old = Date(timeIntervalSince1970: -2_208_988_800)  // 1900-01-01
            #expect(try await connection.execute("SELECT $1::timestamptz AS v", [old]).rows[0]["v"].decode(Date.self) == old)
        }
    }

    @Test("bytea and JSON values round-trip")
    func byteaAndJSON() async throws {
        try await TestDatabase.withSchema { connection, _ throws in
            let bytes = PostgresBytes(Array(0...255))
            let row = try await connection.execute("SELECT $1::bytea AS v", [bytes]).rows[0]
            #expect(try row["v"].decode(PostgresBytes.self) == bytes)
            let json = PostgresJSON(#"{"a": [1, 2.50, "é\n"], "b": null}"#)
            let jsonRow = try await connection.execute("SELECT $1::jsonb ->> 'b' IS NULL AS b, ($1::jsonb -> 'a' ->> 2) AS s", [json]).rows[0]
            #expect(try jsonRow["b"].decode(Bool.self))
            #expect(try jsonRow["s"].decode(String.self) == "é\n")
        }
    }

    @Test("command tags and affected row counts are reported")
    func commandTags() async throws {
        try await TestDatabase.withSchema { connection, _ throws in
            try await connection.execute("CREATE TABLE t (id int PRIMARY KEY, v text)")
            let insert = try await connection.execute("INSERT INTO t SELECT g, 'x' FROM generate_series(1, 5) g")
            #expect(insert.commandTag == "INSERT 0 5")
            #expect(insert.affectedRows == 5)
            let update = try await connection.execute("UPDATE t SET v = $1 WHERE id > $2", ["y", 2])
            #expect(update.affectedRows == 3)
            let select = try await connection.execute("SELECT id FROM t ORDER BY id")
            #expect(select.rows.map { $0["id"].int } == [1, 2, 3, 4, 5])
            #expect(select.columns == ["id"])
        }
    }

    @Test("a missing column or a NULL read as non-optional is a clear decoding error")
    func decodingErrors() async throws {
        try await TestDatabase.withSchema { connection, _ throws in
            let row = try await connection.execute("SELECT NULL::int AS n, 'abc' AS s").rows[0]
            #expect(throws: PostgresError.self) { try row["n"].decode(Int.self) }
            #expect(throws: PostgresError.self) { try row["s"].decode(Int.self) }
            #expect(throws: PostgresError.self) { try row["nope"].decode(String.self) }
        }
    }
}
