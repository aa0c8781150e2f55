import Foundation
import PostgresClient
import SyncTestSupport
import Testing

@Suite("COPY FROM STDIN")
struct CopyTests {
    @Test("100 000 rows with hostile strings round-trip byte-exactly")
    func hostileRoundTrip() async throws {
        try await TestDatabase.withSchema { connection, _ throws in
            try await connection.execute("CREATE TABLE c (id bigint PRIMARY KEY, v text, j jsonb)")
            func value(_ id: Int) -> String? {
                if id % 97 == 0 { return nil }
                return hostileStrings[id % hostileStrings.count] + String(id)
            }
            let loaded = try await connection.copyIn("COPY c (id, v, j) FROM STDIN") { writer in
                for id in 0..<100_000 {
                    let text = value(id)
                    let json = text.map { #"{"v": "\#($0.count)"}"# }
                    try await writer.appendRow([String(id), text, json])
                }
            }
            #expect(loaded == 100_000)
            // Compare in the database by hashing each value, then spot-check full values in Swift.
            let result = try await connection.execute("SELECT id, v FROM c ORDER BY id")
            #expect(result.rows.count == 100_000)
            var mismatches = 0
            for row in result.rows {
                let id = try row["id"].decode(Int.self)
                if row["v"].string != value(id) { mismatches += 1 }
            }
            #expect(mismatches == 0)
            let bytes = try await connection.execute("SELECT sum(octet_length(v)) AS b FROM c").rows[0]["b"].decode(Int.self)
            let expected = (0..<100_000).reduce(0) { $0 + (value($1)?.utf8.count ?? 0) }
            #expect(bytes == expected)
        }
    }

    @Test("a COPY that fails mid-stream leaves the table unchanged and reports the server's error")
    func failureLeavesTableUnchanged() async throws {
        try await TestDatabase.withSchema { connection, _ throws in
            try await connection.execute("CREATE TABLE c (id int PRIMARY KEY, v text)")
            try await connection.execute("INSERT INTO c VALUES (0, 'kept')")
            let error = await #expect(throws: PostgresError.self) {
                try await connection.copyIn("COPY c (id, v) FROM STDIN", chunkSize: 4096) { writer in
                    for id in 1...50_000 {
                        try await writer.appendRow([id == 40_000 ? "not-a-number" : String(id), "row \(id)"])
                    }
                }
            }
            #expect(error?.sqlState == .invalidTextRepresentation)
            #expect(error?.description.contains("not-a-number") == true)
            #expect(try await connection.execute("SELECT count(*) AS n FROM c").rows[0]["n"].int == 1)
            // The connection is usable afterwards.
            try await connection.copyIn("COPY c (id, v) FROM STDIN", rows: [["5", "ok"]])
            #expect(try await connection.execute("SELECT count(*) AS n FROM c").rows[0]["n"].int == 2)
        }
    }

    @Test("an error thrown while producing rows aborts the COPY and loads nothing")
    func producerErrorAborts() async throws {
        struct Stop: Error {}
        try await TestDatabase.withSchema { connection, _ throws in
            try await connection.execute("CREATE TABLE c (id int)")
            await #expect(throws: Stop.self) {
                try await connection.copyIn("COPY c FROM STDIN", chunkSize: 16) { writer in
                    for id in 0..<100 { try await writer.appendRow([String(id)]) }
                    throw Stop()
                }
            }
            #expect(try await connection.execute("SELECT count(*) AS n FROM c").rows[0]["n"].int == 0)
        }
    }

    @Test("a prepared CopyBuffer loads in one call, and a COPY inside a rolled-back transaction vanishes")
    func bufferAndTransaction() async throws {
        struct Stop: Error {}
        try await TestDatabase.withSchema { connection, _ throws in
            try await connection.execute("CREATE TABLE c (id int, v text)")
            var buffer = CopyBuffer()
            buffer.appendRow(["1", "a\tb"])
            buffer.appendRow(["2", nil])
            await #expect(throws: Stop.self) {
                try await connection.withTransaction { tx in
                    try await tx.copyIn("COPY c FROM STDIN", buffer: buffer)
                    throw Stop()
                }
            }
            #expect(try await connection.execute("SELECT count(*) AS n FROM c").rows[0]["n"].int == 0)
            #expect(try await connection.copyIn("COPY c FROM STDIN", buffer: buffer) == 2)
            let rows = try await connection.execute("SELECT v FROM c ORDER BY id").rows
            #expect(rows[0]["v"].string == "a\tb")
            #expect(rows[1]["v"].isNull)
        }
    }

    @Test("CopyBuffer escapes exactly what the text format requires")
    func escaping() {
        var buffer = CopyBuffer()
        buffer.appendRow(["a\\b", "t\tn\nr\r", nil, "", "é"])
        #expect(String(decoding: buffer.bytes, as: UTF8.self) == "a\\\\b\tt\\tn\\nr\\r\t\\N\t\té\n")
        #expect(buffer.rowCount == 1)
    }
}
