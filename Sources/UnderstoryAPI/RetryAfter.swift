import CivilTime
import Foundation

/// Parsing of the `Retry-After` response header (RFC 9110 §10.2.3).
public enum RetryAfter {
    /// The wait a `Retry-After` value asks for: delta-seconds (`"120"`) or an HTTP-date
    /// (`"Sun, 06 Nov 1994 08:49:37 GMT"`, also the obsolete RFC 850 and asctime forms), relative to
    /// `now`. A date in the past means no wait (`.zero`). Returns `nil` for anything unparseable, in
    /// which case the caller falls back to its configured wait.
    public static func parse(_ value: String, now: Date) -> Duration? {
        let text = value.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else { return nil }
        if text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
            // Huge values saturate rather than fail: the caller's budget decides.
            guard let seconds = Int64(text) else { return .seconds(Int64.max / 1_000_000_000_000) }
            return .seconds(seconds)
        }
        guard let date = parseHTTPDate(text) else { return nil }
        let delta = date.timeIntervalSince(now)
        guard delta > 0 else { return .zero }
        return .milliseconds(Int64((delta * 1000).rounded(.up)))
    }

    /// Parses the three HTTP-date formats; all are GMT.
    static func parseHTTPDate(_ text: String) -> Date? {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        var day: Int?, month: Int?, year: Int?, time: String?
        if parts.count == 6, parts[0].hasSuffix(","), parts[5] == "GMT" {
            // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
            day = Int(parts[1]); month = monthNumber(parts[2]); year = Int(parts[3]); time = parts[4]
        } else if parts.count == 4, parts[0].hasSuffix(","), parts[3] == "GMT" {
            // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
            let dmy = parts[1].split(separator: "-").map(String.init)
            guard dmy.count == 3, let yy = Int(dmy[2]) else { return nil }
            day = Int(dmy[0]); month = monthNumber(dmy[1]); time = parts[2]
            year = dmy[2].count == 2 ? (yy < 70 ? 2000 + yy : 1900 + yy) : yy
        } else if parts.count == 5 {
            // asctime: Sun Nov  6 08:49:37 1994
            month = monthNumber(parts[1]); day = Int(parts[2]); time = parts[3]; year = Int(parts[4])
        }
        guard let day, let month, let year, let time else { return nil }
        let hms = time.split(separator: ":").map { Int($0) }
        guard hms.count == 3, let h = hms[0], let m = hms[1], let s = hms[2],
            (1...31).contains(day), (0...23).contains(h), (0...59).contains(m), (0...60).contains(s)
        else { return nil }
        let days = CivilCalendar.daysFromCivil(year: year, month: month, day: day)
        let seconds = Int64(days) * 86_400 + Int64(h * 3600 + m * 60 + s)
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }

    private static func monthNumber(_ name: String) -> Int? {
        let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        return months.firstIndex(of: name.lowercased()).map { $0 + 1 }
    }
}
