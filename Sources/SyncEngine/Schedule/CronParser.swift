/// Parses the text of a cron expression into five value sets, reporting field and position.
struct CronParser {
    struct Fields {
        var sets: [CronBitSet]
        var texts: [String]
        /// 1-based start of each field.
        var positions: [Int]
    }

    let expression: String
    private let characters: [Character]

    init(expression: String) {
        self.expression = expression
        self.characters = Array(expression)
    }

    static let macros: [String: String] = [
        "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
        "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
    ]

    private func error(_ reason: String, _ field: CronExpression.Field? = nil, at index: Int? = nil) -> CronExpressionError {
        CronExpressionError(expression: expression, reason: reason, field: field, position: index.map { $0 + 1 })
    }

    /// Splits into whitespace-separated tokens with their start index.
    private func tokens() -> [(text: String, start: Int)] {
        var result = [(text: String, start: Int)]()
        var index = 0
        while index < characters.count {
            if characters[index].isWhitespace { index += 1; continue }
            let start = index
            while index < characters.count, !characters[index].isWhitespace { index += 1 }
            result.append((String(characters[start..<index]), start))
        }
        return result
    }

    mutating func parseFields() throws(CronExpressionError) -> CronParser.Fields {
        let tokens = tokens()
        guard let first = tokens.first else { throw error("the expression is empty") }
        if first.text.hasPrefix("@") {
            guard let expansion = Self.macros[first.text.lowercased()] else {
                throw error("unknown macro \(first.text) (use @hourly, @daily, @midnight, @weekly, @monthly, @yearly or @annually)", at: first.start)
            }
            if tokens.count > 1 { throw error("a macro stands alone; unexpected \(tokens[1].text)", at: tokens[1].start) }
            var inner = CronParser(expression: expansion)
            return try inner.parseFields()
        }
        guard tokens.count == 5 else {
            let expected = "expected 5 fields (minute hour day-of-month month day-of-week) or a macro such as @daily"
            if tokens.count > 5 { throw error("\(expected), found \(tokens.count)", at: tokens[5].start) }
            throw error("\(expected), found \(tokens.count)")
        }
        var sets = [CronBitSet]()
        for (field, token) in zip(CronExpression.Field.allCases, tokens) {
            sets.append(try parse(field, token.text, start: token.start))
        }
        return Fields(sets: sets, texts: tokens.map(\.text), positions: tokens.map { $0.start + 1 })
    }

    /// One field: a comma-separated list of `*`, `N`, `A-B`, each optionally `/STEP`.
    private func parse(_ field: CronExpression.Field, _ text: String, start: Int) throws(CronExpressionError) -> CronBitSet {
        var set = CronBitSet()
        let chars = Array(text)
        var itemStart = 0
        while itemStart <= chars.count {
            var itemEnd = itemStart
            while itemEnd < chars.count, chars[itemEnd] != "," { itemEnd += 1 }
            if itemEnd == itemStart { throw error("empty list item", field, at: start + itemStart) }
            try parseItem(field, chars, itemStart..<itemEnd, base: start, into: &set)
            itemStart = itemEnd + 1
        }
        return set
    }

    private func parseItem(
        _ field: CronExpression.Field, _ chars: [Character], _ range: Range<Int>, base: Int, into set: inout CronBitSet
    ) throws(CronExpressionError) {
        let bounds = field.bounds
        var index = range.lowerBound
        var low: Int
        var high: Int
        var isRange = false
        if chars[index] == "*" {
            low = bounds.lowerBound
            high = bounds.upperBound
            index += 1
            isRange = true
        } else {
            low = try value(field, chars, &index, end: range.upperBound, base: base)
            high = low
            if index < range.upperBound, chars[index] == "-" {
                index += 1
                let highStart = index
                high = try value(field, chars, &index, end: range.upperBound, base: base)
                if high < low {
                    throw error("range \(low)-\(high) runs backwards", field, at: base + highStart)
                }
                isRange = true
            }
        }
        var step = 1
        if index < range.upperBound, chars[index] == "/" {
            index += 1
            let stepStart = index
            guard let parsed = number(chars, &index, end: range.upperBound) else {
                throw error(index < range.upperBound ? "unexpected character '\(chars[index])' in step" : "missing step after /", field, at: base + index)
            }
            guard parsed >= 1 else { throw error("step must be at least 1", field, at: base + stepStart) }
            guard parsed <= bounds.upperBound else {
                throw error("step must be at most \(bounds.upperBound)", field, at: base + stepStart)
            }
            step = parsed
            if !isRange { high = field == .dayOfWeek ? 6 : bounds.upperBound }  // `5/15` = `5-59/15`
        }
        if index < range.upperBound {
            throw error("unexpected character '\(chars[index])'", field, at: base + index)
        }
        for value in stride(from: low, through: high, by: step) {
            set.insert(field == .dayOfWeek && value == 7 ? 0 : value)
        }
    }

    /// A number or (for month and day-of-week) a three-letter name, checked against the bounds.
    private func value(
        _ field: CronExpression.Field, _ chars: [Character], _ index: inout Int, end: Int, base: Int
    ) throws(CronExpressionError) -> Int {
        let start = index
        if index < end, chars[index].isLetter {
            while index < end, chars[index].isLetter { index += 1 }
            let name = String(chars[start..<index])
            guard let value = field.value(ofName: name) else {
                let hint = field.names.isEmpty ? "names are not allowed here" : "expected one of \(field.names.map { $0.uppercased() }.joined(separator: ", "))"
                throw error("unknown name \(name): \(hint)", field, at: base + start)
            }
            return value
        }
        guard let value = number(chars, &index, end: end) else {
            if index < end { throw error("unexpected character '\(chars[index])'", field, at: base + index) }
            throw error("missing value", field, at: base + index)
        }
        guard field.bounds.contains(value) else {
            throw error("\(value) is out of range \(field.bounds.lowerBound)-\(field.bounds.upperBound)", field, at: base + start)
        }
        return value
    }

    /// Decimal digits (at most four, so it cannot overflow), or nil if there are none.
    private func number(_ chars: [Character], _ index: inout Int, end: Int) -> Int? {
        let start = index
        var value = 0
        while index < end, let digit = chars[index].wholeNumberValue, chars[index].isASCII {
            value = min(value * 10 + digit, 10_000)
            index += 1
        }
        return index > start ? value : nil
    }
}
