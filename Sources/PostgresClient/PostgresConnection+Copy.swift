import CLibPQ

extension PostgresConnection {
    /// Streams rows into `COPY … FROM STDIN` (text format). `produce` is called with a writer and
    /// appends rows; full chunks are sent as they fill, so memory stays bounded however many rows
    /// there are. If `produce` throws, the COPY is aborted (nothing is loaded) and the error is
    /// rethrown. If the server rejects the data, its error (SQLSTATE, line) is thrown.
    ///
    /// - Returns: the number of rows the server loaded.
    @discardableResult
    public func copyIn(
        _ sql: String, chunkSize: Int = 1 << 20,
        _ produce: (inout CopyWriter) async throws -> Void
    ) async throws -> Int {
        try await beginCopy(sql)
        var writer = CopyWriter(connection: self, chunkSize: chunkSize)
        do {
            try await produce(&writer)
            try await writer.flush()
        } catch {
            await abortCopy(reason: "aborted by the client: \(error)")
            throw error
        }
        return try await endCopy(sql)
    }

    /// Loads already encoded rows with `COPY … FROM STDIN`.
    @discardableResult
    public func copyIn(_ sql: String, buffer: CopyBuffer) async throws -> Int {
        try await beginCopy(sql)
        do {
            try await sendCopyData(buffer.bytes)
        } catch {
            await abortCopy(reason: "aborted by the client")
            throw error
        }
        return try await endCopy(sql)
    }

    /// Loads rows given as lists of fields (`nil` is NULL).
    @discardableResult
    public func copyIn(_ sql: String, rows: some Sequence<[String?]>) async throws -> Int {
        try await copyIn(sql) { writer in
            for row in rows { try await writer.appendRow(row) }
        }
    }

    private func beginCopy(_ sql: String) async throws {
        try await onQueue { handle in
            guard let result = PQexec(handle, sql) else {
                throw Self.connectionError(handle, code: .copyFailed, query: sql)
            }
            defer { PQclear(result) }
            guard PQresultStatus(result) == PGRES_COPY_IN else {
                if PQresultStatus(result) == PGRES_FATAL_ERROR {
                    throw Self.serverError(result, handle: handle, query: sql)
                }
                throw PostgresError(code: .copyFailed, message: "statement is not COPY … FROM STDIN", query: sql)
            }
        }
    }

    func sendCopyData(_ bytes: [UInt8]) async throws {
        guard !bytes.isEmpty else { return }
        try await onQueue { handle in
            try bytes.withUnsafeBufferPointer { buffer in
                var offset = 0
                while offset < buffer.count {
                    let length = min(buffer.count - offset, Int(Int32.max))
                    let sent = buffer.baseAddress!.advanced(by: offset).withMemoryRebound(to: CChar.self, capacity: length) {
                        PQputCopyData(handle, $0, Int32(length))
                    }
                    guard sent == 1 else { throw Self.connectionError(handle, code: .copyFailed, query: nil) }
                    offset += length
                }
            }
        }
    }

    private func endCopy(_ sql: String) async throws -> Int {
        try await onQueue { handle in
            guard PQputCopyEnd(handle, nil) == 1 else {
                throw Self.connectionError(handle, code: .copyFailed, query: sql)
            }
            return try self.drainResults(handle, query: sql)
        }
    }

    private func abortCopy(reason: String) async {
        _ = try? await onQueue { handle in
            _ = PQputCopyEnd(handle, reason)
            _ = try? self.drainResults(handle, query: nil)
        }
    }

    /// Reads every pending result; returns the rows loaded, or throws the first error.
    private func drainResults(_ handle: OpaquePointer, query: String?) throws -> Int {
        var firstError: PostgresError?
        var loaded = 0
        while let result = PQgetResult(handle) {
            defer { PQclear(result) }
            switch PQresultStatus(result) {
            case PGRES_COMMAND_OK:
                loaded = Int(String(cString: PQcmdTuples(result))) ?? 0
            case PGRES_COPY_IN:
                // Should not happen after PQputCopyEnd; end it to avoid a stuck connection.
                _ = PQputCopyEnd(handle, "unexpected COPY state")
            default:
                if firstError == nil { firstError = Self.serverError(result, handle: handle, query: query) }
            }
        }
        if let firstError { throw firstError }
        return loaded
    }
}

/// Writes rows into a running COPY, sending each full chunk to the server.
public struct CopyWriter {
    let connection: PostgresConnection
    let chunkSize: Int
    var buffer: CopyBuffer

    init(connection: PostgresConnection, chunkSize: Int) {
        self.connection = connection
        self.chunkSize = chunkSize
        self.buffer = CopyBuffer(reservingCapacity: chunkSize + 4096)
    }

    /// Appends a row (`nil` is NULL); sends a chunk when the buffer is full.
    public mutating func appendRow(_ fields: [String?]) async throws {
        buffer.appendRow(fields)
        if buffer.bytes.count >= chunkSize { try await flush() }
    }

    /// Sends what is buffered.
    public mutating func flush() async throws {
        guard !buffer.isEmpty else { return }
        try await connection.sendCopyData(buffer.bytes)
        buffer.removeAll()
    }
}
