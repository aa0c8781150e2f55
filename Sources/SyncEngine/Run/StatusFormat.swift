import Foundation

/// How `status`, the status page and the account and fleet tables write times and ages.
public enum StatusFormat {
    /// RFC 3339 in UTC, to the second.
    public static func time(_ date: Date) -> String {
        ISO8601DateFormatter.string(from: date, timeZone: .gmt, formatOptions: [.withInternetDateTime])
    }

    /// An age in the largest unit that keeps it readable: `45 s`, `12 min`, `5 h`, `3 d`.
    public static func age(_ seconds: Int) -> String {
        if seconds < 120 { return "\(seconds) s" }
        if seconds < 7200 { return "\(seconds / 60) min" }
        if seconds < 172_800 { return "\(seconds / 3600) h" }
        return "\(seconds / 86_400) d"
    }
}
