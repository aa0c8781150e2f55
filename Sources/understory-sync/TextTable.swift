import Foundation

/// Plain aligned columns for terminal output.
enum TextTable {
    /// Rows (the first is the header) padded to column width, two spaces apart. Columns in
    /// `rightAligned` are padded on the left (numbers).
    static func render(_ rows: [[String]], rightAligned: Set<Int> = []) -> [String] {
        let columns = rows.map(\.count).max() ?? 0
        let widths = (0..<columns).map { column in rows.map { $0.count > column ? $0[column].count : 0 }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { index, cell in
                let pad = String(repeating: " ", count: widths[index] - cell.count)
                return rightAligned.contains(index) ? pad + cell : cell + pad
            }
            .joined(separator: "  ")
            .trimmingCharacters(in: .whitespaces)
        }
    }
}
