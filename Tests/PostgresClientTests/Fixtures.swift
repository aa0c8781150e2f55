import Foundation

/// Current resident set size of this process, from /proc.
func residentBytes() -> Int {
    guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = statm.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

/// Strings that break naive escaping, in SQL, COPY text format, JSON and terminals.
let hostileStrings: [String] = [
    "",
    " ",
    "plain",
    "tab\there",
    "new\nline",
    "carriage\rreturn",
    "crlf\r\nend",
    "back\\slash",
    "\\N",
    "\\.",
    "trailing backslash\\",
    "'single' \"double\" `back`",
    "'); DROP TABLE x; --",
    "emoji 🎉🇩🇰👩‍👩‍👧‍👦",
    "RTL עברית العربية",
    "combining e\u{301} a\u{308}",
    "zero\u{200B}width",
    "tab\tnewline\nbackslash\\cr\r",
    "控制 \u{1F} unit separator",
    String(repeating: "long é ", count: 2000),
]
