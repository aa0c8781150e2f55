/// Rows encoded in `COPY … FROM STDIN` text format, ready to stream to the server.
///
/// Each field is escaped exactly: backslash, tab, newline and carriage return become `\\`, `\t`,
/// `\n`, `\r`; `nil` becomes `\N`. Fields are tab-separated and rows end in a newline. Encoding is
/// done by the caller's task (it is CPU work), sending by the connection (it is I/O).
public struct CopyBuffer: Sendable {
    public private(set) var bytes: [UInt8]
    public private(set) var rowCount = 0
    private var fieldsInRow = 0

    public init(reservingCapacity capacity: Int = 64 * 1024) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public var isEmpty: Bool { bytes.isEmpty }

    /// Appends one field of the current row. `nil` is SQL NULL.
    public mutating func append(_ field: String?) {
        if fieldsInRow > 0 { bytes.append(0x09) }
        fieldsInRow += 1
        guard var field else {
            bytes.append(contentsOf: [0x5C, 0x4E])  // \N
            return
        }
        field.withUTF8 { utf8 in append(escaping: utf8) }
    }

    /// Ends the current row.
    public mutating func endRow() {
        bytes.append(0x0A)
        fieldsInRow = 0
        rowCount += 1
    }

    /// Appends a whole row.
    public mutating func appendRow(_ fields: [String?]) {
        for field in fields { append(field) }
        endRow()
    }

    /// Empties the buffer, keeping its capacity.
    public mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        rowCount = 0
        fieldsInRow = 0
    }

    private mutating func append(escaping utf8: UnsafeBufferPointer<UInt8>) {
        var runStart = 0
        var index = 0
        let count = utf8.count
        while index < count {
            let byte = utf8[index]
            let escaped: UInt8
            switch byte {
            case 0x5C: escaped = 0x5C  // \\ -> \\\\
            case 0x09: escaped = 0x74  // tab -> \t
            case 0x0A: escaped = 0x6E  // newline -> \n
            case 0x0D: escaped = 0x72  // carriage return -> \r
            default:
                index += 1
                continue
            }
            if index > runStart { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index])) }
            bytes.append(0x5C)
            bytes.append(escaped)
            index += 1
            runStart = index
        }
        if count > runStart { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<count])) }
    }
}

extension CopyBuffer {
    /// Appends the complete rows of `other` (e.g. rows staged apart until they were known good).
    public mutating func append(contentsOf other: CopyBuffer) {
        precondition(fieldsInRow == 0, "append(contentsOf:) in the middle of a row")
        bytes.append(contentsOf: other.bytes)
        rowCount += other.rowCount
    }
}
