/// An enum-like string field of the API (statuses, states, types). Known values are constants;
/// any other value the API sends is kept as is, never a decoding failure.
public protocol APIEnum: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible,
    ExpressibleByStringLiteral
where RawValue == String {
    init(rawValue: String)
}

extension APIEnum {
    public init(stringLiteral value: String) { self.init(rawValue: value) }
    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        self.init(rawValue: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

public struct BookingStatus: APIEnum {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public static let active: Self = "ACTIVE"
    public static let cancelled: Self = "CANCELLED"
    public static let moved: Self = "MOVED"
    public static let processing: Self = "PROCESSING"
    public static let checkedIn: Self = "CHECKED_IN"
    public static let unknown: Self = "UNKNOWN"
}

public struct CustomerType: APIEnum {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public static let `private`: Self = "PRIVATE"
    public static let company: Self = "COMPANY"
}

public struct OrderStatus: APIEnum {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public static let pending: Self = "PENDING"
    public static let completed: Self = "COMPLETED"
    public static let cancelled: Self = "CANCELLED"
}

public struct PaymentStatus: APIEnum {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public static let unpaid: Self = "UNPAID"
    public static let paid: Self = "PAID"
    public static let partiallyPaid: Self = "PARTIALLY_PAID"
    public static let refunded: Self = "REFUNDED"
    public static let partiallyRefunded: Self = "PARTIALLY_REFUNDED"
}

public struct ProductType: APIEnum {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public static let ticket: Self = "TICKET"
    public static let giftCard: Self = "GIFTCARD"
    public static let ticketAddon: Self = "TICKET_ADDON"
}

public struct RefundStatus: APIEnum {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public static let initiated: Self = "INITIATED"
    public static let completed: Self = "COMPLETED"
    public static let failed: Self = "FAILED"
    public static let cancelled: Self = "CANCELLED"
}

/// Values not documented; kept as sent.
public struct TransactionStatus: APIEnum {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
}

/// Values not documented; kept as sent.
public struct TransactionProvider: APIEnum {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
}

public struct EventState: APIEnum {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public static let active: Self = "ACTIVE"
    public static let inactive: Self = "INACTIVE"
    public static let cancelled: Self = "CANCELLED"
    public static let completed: Self = "COMPLETED"
}

public struct EventVisibility: APIEnum {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public static let `public`: Self = "PUBLIC"
    public static let `private`: Self = "PRIVATE"
}

public struct ExperienceType: APIEnum {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public static let multiSession: Self = "MULTI_SESSION"
    public static let singleSession: Self = "SINGLE_SESSION"
}

public struct ExperienceState: APIEnum {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public static let active: Self = "ACTIVE"
    public static let inactive: Self = "INACTIVE"
    public static let archived: Self = "ARCHIVED"
    public static let deleted: Self = "DELETED"
}
