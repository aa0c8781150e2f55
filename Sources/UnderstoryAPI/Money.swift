import Foundation

/// An amount of money as the API sends it: `{"currency": "DKK", "value": 2500, "exponent": 2}`,
/// meaning `value / 10^exponent` major units (25.00 DKK). Kept exactly: `value` is an `Int64`
/// (values exceed 2^31), and ``amount`` / ``majorUnitsText`` are computed without floating point.
public struct Money: Sendable, Hashable, Codable, CustomStringConvertible {
    /// ISO 4217 code.
    public var currency: String
    /// Minor units.
    public var value: Int64
    /// Decimal places of `value` (0 for JPY, 2 for DKK, 3 for KWD).
    public var exponent: Int

    public init(currency: String, value: Int64, exponent: Int) {
        self.currency = currency
        self.value = value
        self.exponent = exponent
    }

    /// The exact major-unit amount (`value × 10^-exponent`) as a `Decimal`.
    public var amount: Decimal {
        Decimal(sign: value < 0 ? .minus : .plus, exponent: -exponent, significand: Decimal(value.magnitude))
    }

    /// The exact major-unit amount as decimal text (`"25.00"`, `"-0.125"`, `"1500"`), for a
    /// PostgreSQL `numeric` parameter. Locale-independent.
    public var majorUnitsText: String {
        let digits = String(value.magnitude)
        let sign = value < 0 ? "-" : ""
        guard exponent > 0 else {
            return sign + digits + String(repeating: "0", count: -exponent)
        }
        let padded = digits.count <= exponent ? String(repeating: "0", count: exponent - digits.count + 1) + digits : digits
        let split = padded.index(padded.endIndex, offsetBy: -exponent)
        return sign + padded[..<split] + "." + padded[split...]
    }

    /// How many digits ``majorUnitsText`` has before and after its decimal point, computed
    /// without building it (an exponent of a million would make a million-digit text).
    public var majorUnitsDigits: (integer: Int, fraction: Int) {
        let digits = String(value.magnitude).count
        if exponent <= 0 {
            guard exponent > Int.min else { return (Int.max, 0) }
            let (sum, overflow) = digits.addingReportingOverflow(-exponent)
            return (overflow ? Int.max : sum, 0)
        }
        return (max(1, digits - exponent), exponent)
    }

    public var description: String { "\(majorUnitsText) \(currency)" }

    enum CodingKeys: String, CodingKey {
        case currency, value, exponent
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.currency = try container.decode(String.self, forKey: .currency)
        self.value = try container.decode(Int64.self, forKey: .value)
        // Any exponent the API sends is kept (negative ones too); whether the amount fits where
        // it is stored is for the storage to decide (see ``majorUnitsDigits``).
        self.exponent = try container.decode(Int.self, forKey: .exponent)
    }
}
