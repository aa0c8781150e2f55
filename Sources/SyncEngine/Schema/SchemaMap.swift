import PostgresClient

/// The migrated schema as analysts read it: every table and view with its comment, its columns
/// (type, comment), its key and how it joins the others (foreign keys). Read from the catalog of a
/// migrated database, so it cannot drift from the migrations; rendered as Markdown
/// (`docs/schema.md`) and as a Graphviz picture (`docs/schema.dot`, drawn to SVG and PNG).
public struct SchemaMap: Sendable {
    public struct Relation: Sendable {
        public var name: String
        /// "table" or "view".
        public var kind: String
        public var comment: String
        public var columns: [(name: String, type: String, comment: String)]
        public var primaryKey: [String]
        /// `(columns) → table(columns)`: the foreign keys by constraint name, then the joins on ids
        /// (`declared` false): a column `<name>_id` of a table with `company_id` joins table
        /// `<name>s` keyed (company_id, id) — the data tables carry no foreign keys, because the
        /// API may list a child before its parent.
        public var joins: [(columns: String, target: String, targetColumns: String, declared: Bool)]
    }

    public var relations: [Relation]

    /// Reads schema `understory` from the catalog.
    public static func read(on connection: PostgresConnection) async throws -> SchemaMap {
        let schema = Schema.name
        var relations: [Relation] = []
        let tables = try await connection.execute(
            """
            SELECT c.relname, CASE WHEN c.relkind IN ('v', 'm') THEN 'view' ELSE 'table' END AS kind,
                   coalesce(obj_description(c.oid, 'pg_class'), '') AS comment
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm') ORDER BY c.relname
            """, [schema]
        )
        let columns = try await connection.execute(
            """
            SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END AS type,
                   coalesce(col_description(a.attrelid, a.attnum), '') AS comment
            FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm') AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY c.relname, a.attnum
            """, [schema]
        )
        let constraints = try await connection.execute(
            """
            SELECT c.relname, k.contype::text AS type, k.conname,
                   (SELECT string_agg(a.attname, ', ' ORDER BY u.n) FROM unnest(k.conkey) WITH ORDINALITY u(attnum, n)
                    JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum) AS columns,
                   coalesce(t.relname, '') AS target,
                   coalesce((SELECT string_agg(a.attname, ', ' ORDER BY u.n) FROM unnest(k.confkey) WITH ORDINALITY u(attnum, n)
                    JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.attnum), '') AS target_columns
            FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            LEFT JOIN pg_class t ON t.oid = k.confrelid
            WHERE n.nspname = $1 AND k.contype IN ('p', 'f') ORDER BY c.relname, k.conname
            """, [schema]
        )
        for row in tables.rows {
            let name = row["relname"].string ?? ""
            relations.append(
                Relation(
                    name: name, kind: row["kind"].string ?? "table", comment: row["comment"].string ?? "",
                    columns: columns.rows.filter { $0["relname"].string == name }.map {
                        ($0["attname"].string ?? "", $0["type"].string ?? "", $0["comment"].string ?? "")
                    },
                    primaryKey: constraints.rows.first { $0["relname"].string == name && $0["type"].string == "p" }
                        .map { ($0["columns"].string ?? "").components(separatedBy: ", ") } ?? [],
                    joins: constraints.rows.filter { $0["relname"].string == name && $0["type"].string == "f" }.map {
                        ($0["columns"].string ?? "", $0["target"].string ?? "", $0["target_columns"].string ?? "", true)
                    }
                )
            )
        }
        let companyKeyed = Set(relations.filter { $0.primaryKey == ["company_id", "id"] }.map(\.name))
        for index in relations.indices where relations[index].columns.contains(where: { $0.name == "company_id" }) {
            for column in relations[index].columns where column.name.hasSuffix("_id") && column.name != "company_id" {
                let target = String(column.name.dropLast(3)) + "s"
                guard companyKeyed.contains(target), target != relations[index].name else { continue }
                relations[index].joins.append(("company_id, \(column.name)", target, "company_id, id", false))
            }
        }
        return SchemaMap(relations: relations)
    }

    /// `docs/schema.md`.
    public var markdown: String {
        var lines = [
            "# Schema `\(Schema.name)`", "",
            "Generated from the catalog of a migrated database by `scripts/schema-map` (a test fails when this file",
            "is out of date). The picture: [schema.svg](schema.svg) ([PNG](schema.png)); solid arrows are foreign keys, dashed",
            "ones joins on ids (the data tables carry no foreign keys: the API may list a child before its parent).", "",
        ]
        lines.append("| table or view | key | joins |")
        lines.append("|---|---|---|")
        for relation in relations {
            let joins = relation.joins.map { "(\($0.columns)) → `\($0.target)`" }.joined(separator: "; ")
            lines.append("| [`\(relation.name)`](#\(relation.name)) | \(relation.primaryKey.isEmpty ? "" : "(\(relation.primaryKey.joined(separator: ", ")))") | \(joins) |")
        }
        for relation in relations {
            lines += ["", "## \(relation.name)", "", "\(relation.kind == "view" ? "View. " : "")\(Self.cell(relation.comment))", ""]
            if !relation.primaryKey.isEmpty { lines.append("Key: (\(relation.primaryKey.joined(separator: ", "))).") }
            for join in relation.joins {
                let kind = join.declared ? "foreign key" : "on ids"
                lines.append("Joins `\(join.target)` (\(kind)): (\(join.columns)) = \(join.target)(\(join.targetColumns)).")
            }
            lines += ["", "| column | type | meaning |", "|---|---|---|"]
            for column in relation.columns {
                lines.append("| `\(column.name)` | \(Self.cell(column.type)) | \(Self.cell(column.comment)) |")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The README's schema table for analysts (between ``readmeTableMarkers``): each table and
    /// view with its key and the first sentence of its comment, linked to its section of `docs/schema.md`.
    public var readmeTable: String {
        var lines = ["| table | key | what |", "|---|---|---|"]
        for relation in relations {
            let name = "[`\(relation.name)`](docs/schema.md#\(relation.name))\(relation.kind == "view" ? " (view)" : "")"
            let key = relation.primaryKey.isEmpty ? "" : "`(\(relation.primaryKey.joined(separator: ", ")))`"
            lines.append("| \(name) | \(key) | \(Self.cell(Self.firstSentence(relation.comment))) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The lines around ``readmeTable`` in README.md.
    public static let readmeTableMarkers = (
        begin: "<!-- schema table: generated from the catalog by scripts/schema-map; do not edit -->",
        end: "<!-- end of schema table -->"
    )

    static func firstSentence(_ text: String) -> String {
        guard let end = text.range(of: ". ") else { return text }
        return String(text[..<end.lowerBound]) + "."
    }

    /// `docs/schema.dot`: a box per table or view with its key, an arrow per foreign key.
    public var graphviz: String {
        var lines = [
            "digraph understory {", "  rankdir=LR;", "  graph [fontname=\"Helvetica\"];",
            "  node [shape=box, style=rounded, fontname=\"Helvetica\", fontsize=10];", "  edge [fontname=\"Helvetica\", fontsize=8, color=\"#555555\"];",
        ]
        for relation in relations {
            let key = relation.primaryKey.isEmpty ? "" : "\\n(\(relation.primaryKey.joined(separator: ", ")))"
            let style = relation.kind == "view" ? ", style=\"rounded,dashed\"" : ""
            lines.append("  \"\(relation.name)\" [label=\"\(relation.name)\(key)\"\(style)];")
        }
        for relation in relations {
            for join in relation.joins {
                let style = join.declared ? "" : ", style=dashed"
                lines.append("  \"\(relation.name)\" -> \"\(join.target)\" [label=\"\(join.columns)\"\(style)];")
            }
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    /// A Markdown table cell: one line, `|` escaped.
    static func cell(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).joined(separator: " ").replacingOccurrences(of: "|", with: "\\|")
    }
}
