import Foundation
import PostgresClient
@testable import SyncEngine
import SyncTestSupport
import Testing

/// `docs/schema.md` and the entity-relationship picture (`docs/schema.dot`, `.svg`, `.png`) are
/// generated from a migrated database's catalog: this test generates them again and fails when the
/// committed ones are out of date. `scripts/schema-map` (UNDERSTORY_UPDATE_DOCS=1) writes them.
@Suite("the schema map for analysts")
struct SchemaMapTests {
    static let docs = CitusLayoutTests.root.appendingPathComponent("docs")
    static var updating: Bool { ProcessInfo.processInfo.environment["UNDERSTORY_UPDATE_DOCS"] == "1" }

    @Test("docs/schema.md and docs/schema.dot are what the migrated catalog says; every declared table is in them, with its key")
    func mapIsCurrent() async throws {
        try await TestDatabase.withFreshDatabase { database in
            let map = try await PostgresConnection.withConnection(database, logger: quietLogger) { connection in
                _ = try await Schema.migrate(on: connection, logger: quietLogger)
                return try await SchemaMap.read(on: connection)
            }
            for spec in TableSpec.all {
                let relation = try #require(map.relations.first { $0.name == spec.name }, "\(spec.name) is not in the map")
                #expect(!relation.primaryKey.isEmpty && relation.primaryKey.first == "company_id", "\(spec.name): \(relation.primaryKey)")
                #expect(!relation.comment.isEmpty, "\(spec.name) has no comment")
            }
            #expect(map.markdown.contains("| `raw` | jsonb"), "columns are listed with their types")
            let readmeURL = Self.docs.deletingLastPathComponent().appendingPathComponent("README.md")
            let readme = try String(contentsOf: readmeURL, encoding: .utf8)
            let markers = SchemaMap.readmeTableMarkers
            let begin = try #require(readme.range(of: markers.begin + "\n"), "README.md lacks the schema table's markers")
            let end = try #require(readme.range(of: markers.end, range: begin.upperBound..<readme.endIndex))
            if Self.updating {
                try (readme[..<begin.upperBound] + map.readmeTable + readme[end.lowerBound...]).write(to: readmeURL, atomically: true, encoding: .utf8)
                try map.markdown.write(to: Self.docs.appendingPathComponent("schema.md"), atomically: true, encoding: .utf8)
                try map.graphviz.write(to: Self.docs.appendingPathComponent("schema.dot"), atomically: true, encoding: .utf8)
                for format in ["svg", "png"] { _ = try await Self.dot(format, output: Self.docs.appendingPathComponent("schema.\(format)")) }
                return
            }
            let committedMarkdown = try String(contentsOf: Self.docs.appendingPathComponent("schema.md"), encoding: .utf8)
            let committedGraph = try String(contentsOf: Self.docs.appendingPathComponent("schema.dot"), encoding: .utf8)
            #expect(committedMarkdown == map.markdown, "docs/schema.md is out of date: run scripts/schema-map")
            #expect(committedGraph == map.graphviz, "docs/schema.dot is out of date: run scripts/schema-map")
            #expect(String(readme[begin.upperBound..<end.lowerBound]) == map.readmeTable, "README's schema table is out of date: run scripts/schema-map")
        }
    }

    @Test("the committed pictures are drawn from the committed graph (Graphviz)")
    func picturesAreCurrent() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/dot") else {
            print("SchemaMapTests: Graphviz (dot) is not installed; scripts/install-test-tools installs it as root")
            return
        }
        let svg = try await Self.dot("svg", output: nil)
        let committed = try String(contentsOf: Self.docs.appendingPathComponent("schema.svg"), encoding: .utf8)
        #expect(svg == committed, "docs/schema.svg is out of date: run scripts/schema-map")
        let png = try Data(contentsOf: Self.docs.appendingPathComponent("schema.png"))
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "docs/schema.png is a PNG")
    }

    /// Runs `dot -T<format> docs/schema.dot`, into `output` or returned as text.
    static func dot(_ format: String, output: URL?) async throws -> String {
        let run = try await ChildProcess.run(
            "/usr/bin/dot", ["-T\(format)", docs.appendingPathComponent("schema.dot").path] + (output.map { ["-o", $0.path] } ?? []),
            environment: ProcessInfo.processInfo.environment
        )
        return run.stdout
    }
}
