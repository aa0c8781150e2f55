import ArgumentParser
import Foundation
import Logging
import PostgresClient

/// COPY through the libpq wrapper against `psql \copy` of the same file, into the same table.
struct CopyBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "Rows/s of COPY through the wrapper vs psql \\copy of the same rows (best of --rounds)."
    )

    @Option(help: "Rows to load.") var rows = 500_000
    @Option(help: "Rounds; the best of each is reported.") var rounds = 3
    @Option(name: .customLong("database-url"), help: "PostgreSQL URI (default: DATABASE_URL).") var databaseURL: String?

    func run() async throws {
        guard let url = databaseURL ?? ProcessInfo.processInfo.environment["DATABASE_URL"] else {
            throw ValidationError("set DATABASE_URL or --database-url")
        }
        try await Self.measure(url: url, rows: rows, rounds: rounds).table.print()
    }

    /// Best seconds of each loader for the same rows into the same table.
    struct Result {
        var rows: Int
        var rounds: Int
        var megabytes: Double
        var psql: Double
        var stream: Double
        var encode: Double

        /// Rows/s of the wrapper encoding from Swift values (what the sync does) ÷ psql's.
        var encodeRatio: Double { psql / encode }

        var table: Table {
            var table = Table(
                "0. COPY of \(Format.int(rows)) rows (\(Format.fixed(megabytes, 1)) MiB of COPY text), best of \(rounds)",
                ["loader", "seconds", "rows/s", "vs psql"]
            )
            for (name, seconds) in [("psql \\copy (ceiling)", psql), ("wrapper, same bytes", stream), ("wrapper, encoding from Swift values", encode)] {
                table.add(name, Format.fixed(seconds, 3), Format.int(Int(Double(rows) / seconds)), Format.percent(psql / seconds))
            }
            return table
        }
    }

    static func measure(url: String, rows: Int, rounds: Int) async throws -> Result {
        let logger = BenchWorld.logger
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("understory-bench-\(getpid()).copy")
        defer { try? FileManager.default.removeItem(at: file) }

        // The same rows, once as a file for psql and the wrapper's byte stream.
        var buffer = CopyBuffer(reservingCapacity: rows * 200)
        for index in 0..<rows { buffer.appendRow(Self.row(index)) }
        try Data(buffer.bytes).write(to: file)
        let megabytes = Double(buffer.bytes.count) / 1_048_576

        let table = "understory_bench_copy"
        let configuration = PostgresConfiguration(connectionString: url)
        return try await PostgresConnection.withConnection(configuration, logger: logger) { connection in
            try await connection.simpleQuery("""
                DROP TABLE IF EXISTS \(table);
                CREATE TABLE \(table) (id text PRIMARY KEY, name text, at timestamptz, amount numeric, raw jsonb)
                """)
            var psqlBest = Double.infinity, streamBest = Double.infinity, encodeBest = Double.infinity
            for _ in 0..<rounds {
                try await connection.execute("TRUNCATE \(table)")
                psqlBest = min(psqlBest, try await Self.timePsql(url: url, table: table, file: file))
                try await connection.execute("TRUNCATE \(table)")
                streamBest = min(streamBest, try await Self.time {
                    let loaded = try await connection.copyIn("COPY \(table) FROM STDIN", buffer: buffer)
                    precondition(loaded == rows)
                })
                try await connection.execute("TRUNCATE \(table)")
                encodeBest = min(encodeBest, try await Self.time {
                    let loaded = try await connection.copyIn("COPY \(table) FROM STDIN") { writer in
                        for index in 0..<rows { try await writer.appendRow(Self.row(index)) }
                    }
                    precondition(loaded == rows)
                })
            }
            try await connection.execute("DROP TABLE \(table)")
            return Result(rows: rows, rounds: rounds, megabytes: megabytes, psql: psqlBest, stream: streamBest, encode: encodeBest)
        }
    }

    static func row(_ index: Int) -> [String?] {
        let names = ["Ærø kayak tour", "Nordlys 🌌 safari", "Tab\tand\nnewline", "back\\slash", "مغامرات"]
        return [
            "bkg_\(index)", names[index % names.count] + " #\(index)",
            "2026-0\(1 + index % 9)-1\(index % 10)T12:\(10 + index % 50):00.\(100_000 + index % 900_000)Z",
            "\(index % 100_000).\(index % 100)",
            #"{"id":"bkg_\#(index)","status":"ACTIVE","customer":{"full_name":"Guest \#(index)"},"n":\#(index)}"#,
        ]
    }

    static func time(_ body: () async throws -> Void) async throws -> Double {
        let start = ContinuousClock.now
        try await body()
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    static func timePsql(url: String, table: String, file: URL) async throws -> Double {
        let run = try await ChildProcess.run("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", url, "-c", "\\copy \(table) FROM '\(file.path)'"])
        guard run.status == 0 else { throw ValidationError("psql \\copy failed with status \(run.status): \(run.output)") }
        return run.seconds
    }
}
