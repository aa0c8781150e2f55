import Foundation
import PostgresClient
@testable import SyncEngine
import SyncTestSupport
import Testing
@testable import UnderstoryAPI
import UnderstorySimulator

/// A resource declared in this file alone — its model, its declaration, its migration and the
/// simulator's data — and synced, reconciled and reported end to end with nothing else changed:
/// the proof that the declarations are the only list of resources (README, "Adding a resource").
/// The catalog in force is widened for this test only (``ResourceCatalog/current`` is task-local).
@Suite("a resource declared in one file syncs, reconciles and reports like the product's")
struct ThrowawayResourceTests {
    // MARK: the model (UnderstoryAPI's part: the item and its two endpoints)

    struct Widget: APIModel, SyncedRecord {
        static let resourceName = "widgets"
        /// A scope the simulator's integration key has (the simulator knows no widget scope).
        static let scope = "order.read"

        var id: String
        var name: String?
        var updatedAt: Timestamp

        enum CodingKeys: String, CodingKey {
            case id, name
            case updatedAt = "updated_at"
        }

        var changedAt: Timestamp? { updatedAt }

        static func list(_ client: UnderstoryClient) -> PageSequence<Widget> {
            client.list(path: "/v1/widgets", query: [("limit", "10")], scope: scope, startCursor: nil, logger: nil)
        }

        static func fetch(id: String, _ context: PlanContext) async throws -> Fetched<Widget> {
            try await context.client.fetchSingle(Widget.self, path: "/v1/widgets/\(id)", resource: resourceName, scope: scope, logger: context.logger)
        }
    }

    // MARK: the declaration

    static let widgets = Table<Widget>(
        name: "widgets",
        comment: "Widgets: a resource of one test.",
        key: ["company_id", "id"],
        columns: [
            .companyID("Understory account."),
            Column("id", "text NOT NULL", "Widget id.") { $0.model.id },
            Column("name", "text", "Widget name.") { $0.model.name },
            Column("updated_at", "timestamp with time zone NOT NULL", "When the widget last changed.") { $0.model.updatedAt.rfc3339 },
            .raw("The widget exactly as the API sent it."),
            .syncedAt,
            .runID,
            .deletedAt("When the widget was confirmed deleted."),
        ]
    )

    static let declaration = SyncedResource<Widget>(
        resource: Resource("widgets"), scope: Widget.scope, table: widgets,
        traversal: .fullList { client, _ in Widget.list(client) }
    )

    // MARK: the migration

    static let migration = Migration(
        version: 9001, name: "widgets",
        sql: """
            CREATE TABLE understory.widgets (
                company_id  text        NOT NULL,
                id          text        NOT NULL,
                name        text,
                updated_at  timestamptz NOT NULL,
                raw         jsonb       NOT NULL,
                _synced_at  timestamptz NOT NULL DEFAULT now(),
                _run_id     bigint,
                _deleted_at timestamptz,
                PRIMARY KEY (company_id, id)
            );
            COMMENT ON TABLE understory.widgets IS 'Widgets: a resource of one test.';
            COMMENT ON COLUMN understory.widgets.company_id IS 'Understory account.';
            COMMENT ON COLUMN understory.widgets.id IS 'Widget id.';
            COMMENT ON COLUMN understory.widgets.name IS 'Widget name.';
            COMMENT ON COLUMN understory.widgets.updated_at IS 'When the widget last changed.';
            COMMENT ON COLUMN understory.widgets.raw IS 'The widget exactly as the API sent it.';
            COMMENT ON COLUMN understory.widgets._synced_at IS 'When understory-sync last wrote this row.';
            COMMENT ON COLUMN understory.widgets._run_id IS 'sync_runs.id of the run that last wrote this row.';
            COMMENT ON COLUMN understory.widgets._deleted_at IS 'When the widget was confirmed deleted.';
            """
    )

    // MARK: the simulator's data

    static func served() -> SimulatorList {
        SimulatorList(
            name: "widgets", scope: Widget.scope,
            items: (1...25).map { n in
                let id = "w\(n)"
                return (id, Array(#"{"id":"\#(id)","name":"widget \#(n)","updated_at":"2025-01-\#(10 + n % 18)T10:00:00Z"}"#.utf8))
            }
        )
    }

    @Test("sync stores every widget over several pages; reconcile repairs an edited row and confirms a removed one deleted; status, the metrics' tables and the catalog check know the widgets")
    func endToEnd() async throws {
        let list = Self.served()
        var account = SyncHarness.smallAccount()
        account.lists = [list]
        try await ResourceCatalog.$current.withValue(.product.adding(Self.declaration)) {
            try await SyncHarness.with(account) { harness in
                try await PostgresConnection.withConnection(harness.database, logger: harness.logger) { connection in
                    _ = try await MigrationRunner(schema: Schema.name, migrations: try Schema.migrations() + [Self.migration])
                        .migrate(on: connection, logger: harness.logger)
                    #expect(try await TableCatalogTests.catalogDifferences(Self.widgets.spec, on: connection).isEmpty)
                }
                let widgets = try #require(Resource(rawValue: "widgets"))
                #expect(Resource.allCases.last == widgets)
                #expect(TableSpec.all.contains { $0.name == "widgets" })

                var options = SyncHarness.options()
                options.resources = [widgets]
                let synced = try await harness.runner.sync(options)
                #expect(synced.succeeded, "\(synced.failures)")
                #expect(synced.counts[widgets]?.inserted == 25)
                #expect(synced.counts[widgets]?.pages == 3)
                #expect(try await harness.count("widgets", where: "name = 'widget 7' AND raw ->> 'id' = 'w7'") == 1)

                try await harness.query("UPDATE understory.widgets SET name = 'edited' WHERE id = 'w3'")
                list.remove(id: "w5")
                let reconciled = try await harness.runner.reconcile(options)
                #expect(reconciled.succeeded, "\(reconciled.failures)")
                #expect(reconciled.counts[widgets]?.stale == 1)
                #expect(reconciled.counts[widgets]?.deleted == 1)
                #expect(try await harness.count("widgets", where: "id = 'w3' AND name = 'widget 3'") == 1)
                #expect(try await harness.count("widgets", where: "_deleted_at IS NOT NULL") == 1)

                try await PostgresConnection.withConnection(harness.database, logger: harness.logger) { connection in
                    let status = try await StatusReport.load(from: connection)
                    let row = try #require(status.resources.first { $0.resource == "widgets" })
                    #expect(row.rows == 24)
                    #expect(row.lastSuccessAt != nil)
                    let snapshot = try await OperationsSnapshot.read(connection: connection, now: Date())
                    #expect(snapshot.tableRows.contains { $0.table == "widgets" })
                    #expect(snapshot.unresolvedRejected["widgets"] == 0)
                }
            }
        }
        // Outside the closure the product's catalog is back.
        #expect(Resource(rawValue: "widgets") == nil)
    }
}
