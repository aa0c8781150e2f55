import Foundation

/// Plain aligned columns for terminal output, no line wider than a terminal's 80 columns.
enum TextTable {
    /// The width every table and notice keeps to.
    static let columns = 80

    /// Rows (the first is the header) padded to column width, two spaces apart. Columns in
    /// `rightAligned` are padded on the left (numbers). A table wider than `width` is shown
    /// expanded instead (as psql's `\x auto` does): per row, its first cell as a heading, then
    /// one indented line per other non-empty cell, named by its header and wrapped to `width`.
    static func render(_ rows: [[String]], rightAligned: Set<Int> = [], width: Int = columns) -> [String] {
        let columns = rows.map(\.count).max() ?? 0
        let widths = (0..<columns).map { column in rows.map { $0.count > column ? $0[column].count : 0 }.max() ?? 0 }
        let aligned = rows.map { row in
            row.enumerated().map { index, cell in
                let pad = String(repeating: " ", count: widths[index] - cell.count)
                return rightAligned.contains(index) ? pad + cell : cell + pad
            }
            .joined(separator: "  ")
            .trimmingCharacters(in: .whitespaces)
        }
        guard aligned.contains(where: { $0.count > width }), let header = rows.first else { return aligned }
        return self.expanded(header: header, rows: rows.dropFirst(), width: width)
    }

    /// Each row as `header0 cell0`, then `  header  cell` lines for its other non-empty cells.
    static func expanded(header: [String], rows: ArraySlice<[String]>, width: Int) -> [String] {
        let nameWidth = header.dropFirst().map(\.count).max() ?? 0
        var lines: [String] = []
        for row in rows {
            lines.append([header.first ?? "", row.first ?? ""].joined(separator: " "))
            for (name, cell) in zip(header.dropFirst(), row.dropFirst()) where !cell.isEmpty {
                let lead = "  " + name + String(repeating: " ", count: nameWidth - name.count) + "  "
                lines += self.wrap(cell, lead: lead, indent: lead.count, width: width)
            }
        }
        return lines
    }

    /// `text` broken at spaces into lines of at most `width` columns: the first starts with
    /// `lead`, the others with `indent` spaces. A word longer than a line stands on its own.
    static func wrap(_ text: String, lead: String = "", indent: Int = 2, width: Int = columns) -> [String] {
        var lines: [String] = []
        var line = lead
        var empty = true  // nothing but the lead or indent on `line` yet
        for word in text.split(separator: " ", omittingEmptySubsequences: true) {
            if !empty && line.count + 1 + word.count > width {
                lines.append(line)
                line = String(repeating: " ", count: indent)
                empty = true
            }
            line += (empty ? "" : " ") + word
            empty = false
        }
        lines.append(line)
        return lines
    }
}
