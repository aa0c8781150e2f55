import PostgresClient
import SyncTestSupport
import Testing

@Suite("text[] parameters")
struct TextArrayTests {
    @Test("hostile strings, NULL-looking text and an empty array round-trip through a text[] parameter")
    func roundTrip() async throws {
        try await TestDatabase.withSchema { connection, _ throws in
            let values = hostileStrings + ["NULL", "null", "{a,b}", "a,b", "\"", "}", "  padded  "]
            let rows = try await connection.execute(
                "SELECT value, ordinality FROM unnest($1::text[]) WITH ORDINALITY AS u(value, ordinality) ORDER BY ordinality",
                [PostgresTextArray(values)]
            ).rows
            #expect(try rows.map { try $0["value"].decode(String.self) } == values)
            #expect(rows.allSatisfy { !$0["value"].isNull }, "the text NULL is a string, not SQL NULL")

            let empty = try await connection.execute("SELECT cardinality($1::text[]) AS n", [PostgresTextArray([])]).rows[0]
            #expect(empty["n"].int == 0)
        }
    }

    @Test("= ANY matches exactly the listed values")
    func anyMatches() async throws {
        try await TestDatabase.withSchema { connection, _ throws in
            try await connection.execute("CREATE TABLE t (id text)")
            for id in ["a", "b,c", "d\"e", "f\\g"] { try await connection.execute("INSERT INTO t VALUES ($1)", [id]) }
            let rows = try await connection.execute(
                "SELECT id FROM t WHERE id = ANY($1::text[]) ORDER BY id", [PostgresTextArray(["b,c", "f\\g", "b", "c"])]
            ).rows
            #expect(try rows.map { try $0["id"].decode(String.self) } == ["b,c", "f\\g"])
        }
    }

    @Test("the literal quotes every element and escapes quotes and backslashes")
    func literal() {
        #expect(PostgresTextArray([]).postgresText == "{}")
        #expect(PostgresTextArray(["a", "b c", "d\"e\\f"]).postgresText == #"{"a","b c","d\"e\\f"}"#)
    }
}
