import UnderstoryAPI

/// Checks values against the PostgreSQL column types they are staged into, in Swift, so one item
/// with a value too large for its column is rejected alone instead of failing its batch's COPY or
/// upsert (22003 numeric value out of range).
enum ColumnRange {
    /// PostgreSQL `numeric` without a declared precision: up to 131072 digits before the decimal
    /// point and 16383 after.
    static let numericIntegerDigits = 131_072
    static let numericFractionDigits = 16_383

    /// `value` as text for an `integer` (int4) column.
    static func int4(_ value: Int?, _ field: String) throws(ItemRejection) -> String? {
        guard let value else { return nil }
        guard value >= Int(Int32.min) && value <= Int(Int32.max) else {
            throw ItemRejection("field \(field): \(value) does not fit an integer column (\(Int32.min)…\(Int32.max))")
        }
        return String(value)
    }

    /// The exact major-unit amount as text for a `numeric` column.
    static func numeric(_ money: Money?, _ field: String) throws(ItemRejection) -> String? {
        guard let money else { return nil }
        let digits = money.majorUnitsDigits
        guard digits.integer <= numericIntegerDigits && digits.fraction <= numericFractionDigits else {
            throw ItemRejection(
                "field \(field): value \(money.value) with exponent \(money.exponent) (\(money.currency)) has more digits than a numeric column holds (\(numericIntegerDigits) before the point, \(numericFractionDigits) after)"
            )
        }
        return money.majorUnitsText
    }

    /// A required field.
    static func required<T>(_ value: T?, _ field: String) throws(ItemRejection) -> T {
        guard let value else { throw ItemRejection("field \(field): required field is missing") }
        return value
    }
}
