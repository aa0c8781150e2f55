import Foundation

/// A Markdown table (pastes into BENCHMARKS.md as printed).
struct Table {
    var title: String
    var headers: [String]
    var rows: [[String]] = []

    init(_ title: String, _ headers: [String]) {
        self.title = title
        self.headers = headers
    }

    mutating func add(_ row: String...) { rows.append(row) }

    var rendered: String {
        var widths = headers.map(\.count)
        for row in rows { for (index, cell) in row.enumerated() where index < widths.count { widths[index] = max(widths[index], cell.count) } }
        func line(_ cells: [String]) -> String {
            "| " + cells.enumerated().map { index, cell in cell.padding(toLength: widths[index], withPad: " ", startingAt: 0) }.joined(separator: " | ") + " |"
        }
        var lines = ["", "### " + title, "", line(headers), "|" + widths.map { String(repeating: "-", count: $0 + 2) }.joined(separator: "|") + "|"]
        lines += rows.map(line)
        return lines.joined(separator: "\n")
    }

    func print() { emit(rendered) }
}

enum Format {
    static func seconds(_ value: Double) -> String { fixed(value, 2) + " s" }
    static func fixed(_ value: Double, _ digits: Int) -> String {
        var text = String(Int((abs(value) * pow10(digits)).rounded()))
        while text.count <= digits { text = "0" + text }
        if digits > 0 { text.insert(".", at: text.index(text.endIndex, offsetBy: -digits)) }
        return (value < 0 ? "-" : "") + text
    }
    static func int(_ value: Int) -> String {
        let digits = String(abs(value))
        var out = ""
        for (index, character) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out.append(" ") }
            out.append(character)
        }
        return (value < 0 ? "-" : "") + out
    }
    static func megabytes(_ bytes: Int) -> String { fixed(Double(bytes) / 1_048_576, 1) + " MB" }
    static func ratio(_ value: Double) -> String { fixed(value, 2) + "×" }
    static func percent(_ value: Double) -> String { fixed(value * 100, 1) + " %" }
    private static func pow10(_ n: Int) -> Double { var p = 1.0; for _ in 0..<n { p *= 10 }; return p }
}

/// Writes a line to stdout at once (unbuffered, so a file or pipe sees each table as it is measured).
func emit(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}
