/// Why a cron expression was rejected, with the field and the 1-based character position of the
/// offending text, so an operator can fix it at a glance.
public struct CronExpressionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The expression as given.
    public var expression: String
    /// What is wrong, without the position (e.g. "step must be at least 1").
    public var reason: String
    /// The field the error is in, if it is in one.
    public var field: CronExpression.Field?
    /// 1-based position of the offending character in `expression`.
    public var position: Int?

    public init(expression: String, reason: String, field: CronExpression.Field? = nil, position: Int? = nil) {
        self.expression = expression
        self.reason = reason
        self.field = field
        self.position = position
    }

    public var description: String {
        var text = "invalid cron expression \"\(expression)\": \(reason)"
        switch (field, position) {
        case let (field?, position?): text += " (field \(field), position \(position))"
        case let (field?, nil): text += " (field \(field))"
        case let (nil, position?): text += " (position \(position))"
        case (nil, nil): break
        }
        return text
    }
}
