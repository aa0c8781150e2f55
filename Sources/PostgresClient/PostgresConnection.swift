import CLibPQ
import Dispatch
import Foundation
import Logging
import Synchronization

/// One connection to PostgreSQL over libpq.
///
/// libpq blocks, so every libpq call runs on this connection's own serial `DispatchQueue`, off
/// Swift's cooperative thread pool: awaiting a query never blocks a concurrency thread, and a
/// program can fetch over HTTP while a connection loads. A connection runs one statement at a
/// time; statements from concurrent tasks queue up in order. Use one connection per task that
/// needs its own transaction.
///
/// Cancelling the task that awaits a statement cancels the statement on the server (`PQcancel`,
/// sent from another thread while the connection's thread waits): it fails with SQLSTATE 57014.
public final class PostgresConnection: @unchecked Sendable {
    // Invariant for @unchecked Sendable: `handle` and `copyInProgress` are read and written only on
    // `queue`, which is serial, so libpq never sees two threads at once for this connection.
    private var handle: OpaquePointer?
    private let queue: DispatchQueue
    private let noticeSink: NoticeSink
    private let canceller: StatementCanceller
    public let logger: Logger

    private init(handle: OpaquePointer, queue: DispatchQueue, noticeSink: NoticeSink, logger: Logger) {
        self.handle = handle
        self.queue = queue
        self.noticeSink = noticeSink
        self.canceller = StatementCanceller(handle: handle)
        self.logger = logger
    }

    deinit {
        // No other reference exists, so no work can be queued: finishing here is safe.
        canceller.free()
        if let handle { PQfinish(handle) }
    }

    /// Opens a connection. Errors name host, port and database, never the password.
    public static func connect(_ configuration: PostgresConfiguration, logger: Logger) async throws -> PostgresConnection {
        let queue = DispatchQueue(label: "PostgresClient.connection")
        let sink = NoticeSink(logger: logger)
        let handle: OpaquePointer = try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try openHandle(configuration, noticeSink: sink) })
            }
        }
        let connection = PostgresConnection(handle: handle, queue: queue, noticeSink: sink, logger: logger)
        // Fixed session settings so that timestamps are read and written unambiguously.
        try await connection.simpleQuery("SET DateStyle = 'ISO, MDY'; SET TimeZone = 'UTC'; SET client_encoding = 'UTF8'")
        try await connection.applySessionDefaults(configuration.sessionDefaults)
        return connection
    }

    /// Sets each default the connection's own `options` (connection string or `PGOPTIONS`) does not set.
    private func applySessionDefaults(_ defaults: [(name: String, value: String)]) async throws {
        guard !defaults.isEmpty else { return }
        let userSet = try await onQueue { handle in ConnectionString.parameterNames(inOptions: ConnectionString.options(of: handle)) }
        let applied = defaults.filter { !userSet.contains($0.name.lowercased()) }
        guard !applied.isEmpty else { return }
        var calls = [String]()
        var parameters = [(any PostgresEncodable)?]()
        for (index, setting) in applied.enumerated() {
            calls.append("set_config($\(2 * index + 1), $\(2 * index + 2), false)")
            parameters += [setting.name, setting.value]
        }
        try await execute("SELECT " + calls.joined(separator: ", "), parameters)
    }

    /// Runs `body` with a new connection and always closes it afterwards.
    @discardableResult
    public static func withConnection<T>(
        _ configuration: PostgresConfiguration, logger: Logger,
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        let connection = try await connect(configuration, logger: logger)
        do {
            let result = try await body(connection)
            await connection.close()
            return result
        } catch {
            await connection.close()
            throw error
        }
    }

    /// Closes the connection. Later calls fail with `.connectionClosed`.
    public func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async {
                self.canceller.free()
                if let handle = self.handle { PQfinish(handle) }
                self.handle = nil
                continuation.resume()
            }
        }
    }

    /// Runs a statement with parameters (`PQexecParams`, text format; `nil` is SQL NULL).
    @discardableResult
    public func execute(_ sql: String, _ parameters: [(any PostgresEncodable)?] = []) async throws -> PostgresResult {
        let texts = parameters.map { $0?.postgresText }
        return try await onQueue { handle in
            try Self.withCStrings(texts) { pointers in
                let result = PQexecParams(handle, sql, Int32(pointers.count), nil, pointers, nil, nil, 0)
                return try self.consume(result, handle: handle, query: sql)
            }
        }
    }

    /// Runs one or more statements without parameters (`PQexec`), e.g. a migration file.
    public func simpleQuery(_ sql: String) async throws {
        _ = try await onQueue { handle in
            try self.consume(PQexec(handle, sql), handle: handle, query: sql)
        }
    }

    /// Whether the connection is inside a transaction block, and whether that block failed.
    public func transactionState() async throws -> TransactionState {
        try await onQueue { handle in
            switch PQtransactionStatus(handle) {
            case PQTRANS_IDLE: .idle
            case PQTRANS_INTRANS: .inTransaction
            case PQTRANS_INERROR: .failed
            case PQTRANS_ACTIVE: .active
            default: .unknown
            }
        }
    }

    public enum TransactionState: Sendable { case idle, inTransaction, failed, active, unknown }

    // MARK: - Running on the connection's queue

    /// Runs `work` with the libpq handle on this connection's queue. Cancelling the awaiting task
    /// asks the server to cancel the statement `work` is running.
    func onQueue<T: Sendable>(_ work: @escaping @Sendable (OpaquePointer) throws -> T) async throws -> T {
        let canceller = self.canceller
        let ticket = StatementCanceller.Ticket()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                queue.async {
                    guard let handle = self.handle else {
                        continuation.resume(throwing: PostgresError(code: .connectionClosed, message: "the PostgreSQL connection is closed"))
                        return
                    }
                    canceller.begin(ticket)
                    let result = Result { try work(handle) }
                    canceller.end()
                    continuation.resume(with: result)
                }
            }
        } onCancel: {
            canceller.cancel(ticket)
        }
    }

    /// Asks the server to cancel the statement this connection is running, if any (from any
    /// thread; the statement then fails with SQLSTATE 57014 `query_canceled`).
    public func cancelRunningStatement() {
        canceller.cancelRunningStatement()
    }

    /// Turns a `PGresult` into a ``PostgresResult`` or a ``PostgresError``, and always clears it.
    func consume(_ result: OpaquePointer?, handle: OpaquePointer, query: String?) throws -> PostgresResult {
        guard let result else {
            throw Self.connectionError(handle, code: PQstatus(handle) == CONNECTION_BAD ? .connectionLost : .server, query: query)
        }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY, PGRES_SINGLE_TUPLE:
            return Self.copyRows(result)
        case PGRES_COPY_IN, PGRES_COPY_OUT, PGRES_COPY_BOTH:
            throw PostgresError(code: .copyFailed, message: "COPY statements must use copyIn(_:)", query: query)
        default:
            throw Self.serverError(result, handle: handle, query: query)
        }
    }

    static func copyRows(_ result: OpaquePointer) -> PostgresResult {
        let columnCount = Int(PQnfields(result))
        let rowCount = Int(PQntuples(result))
        var columns = [String]()
        columns.reserveCapacity(columnCount)
        var index = [String: Int]()
        for column in 0..<columnCount {
            let name = String(cString: PQfname(result, Int32(column)))
            columns.append(name)
            if index[name] == nil { index[name] = column }
        }
        var rows = [PostgresRow]()
        rows.reserveCapacity(rowCount)
        for row in 0..<rowCount {
            var values = [String?]()
            values.reserveCapacity(columnCount)
            for column in 0..<columnCount {
                if PQgetisnull(result, Int32(row), Int32(column)) == 1 {
                    values.append(nil)
                } else {
                    let length = Int(PQgetlength(result, Int32(row), Int32(column)))
                    let pointer = PQgetvalue(result, Int32(row), Int32(column))!
                    values.append(pointer.withMemoryRebound(to: UInt8.self, capacity: length) {
                        String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
                    })
                }
            }
            rows.append(PostgresRow(columnIndex: index, values: values))
        }
        let tag = String(cString: PQcmdStatus(result))
        let affected = Int(String(cString: PQcmdTuples(result))) ?? 0
        return PostgresResult(columns: columns, rows: rows, commandTag: tag, affectedRows: affected)
    }

    static func serverError(_ result: OpaquePointer, handle: OpaquePointer, query: String?) -> PostgresError {
        func field(_ code: Character) -> String? {
            guard let value = PQresultErrorField(result, Int32(code.asciiValue!)) else { return nil }
            return String(cString: value)
        }
        let message = field("M") ?? String(cString: PQresultErrorMessage(result)).replacingNewlines()
        let lost = PQstatus(handle) == CONNECTION_BAD
        return PostgresError(
            code: lost ? .connectionLost : .server,
            message: message.isEmpty ? ConnectionString.redactingPasswordShapes(String(cString: PQerrorMessage(handle)).replacingNewlines()) : message,
            sqlState: field("C").map(SQLState.init(rawValue:)),
            detail: field("D"), hint: field("H"), constraint: field("n"),
            schema: field("s"), table: field("t"), column: field("c"), query: query
        )
    }

    static func connectionError(_ handle: OpaquePointer, code: PostgresError.Code, query: String?) -> PostgresError {
        PostgresError(code: code, message: ConnectionString.redactingPasswordShapes(String(cString: PQerrorMessage(handle)).replacingNewlines()), query: query)
    }

    // MARK: - Connecting

    private static func openHandle(_ configuration: PostgresConfiguration, noticeSink: NoticeSink) throws -> OpaquePointer {
        // libpq quotes a string it cannot parse, password and all: check it first and redact.
        if let connectionString = configuration.connectionString, !connectionString.isEmpty {
            try ConnectionString.validate(connectionString)
        }
        // Later keywords override earlier ones, so a connect_timeout in the connection string wins.
        var keywords = ["fallback_application_name", "connect_timeout"]
        var values: [String?] = [configuration.applicationName, String(configuration.connectTimeout)]
        if let connectionString = configuration.connectionString, !connectionString.isEmpty {
            keywords.append("dbname")
            values.append(connectionString)
        }
        let handle: OpaquePointer? = withCStrings(keywords) { keywordPointers in
            withCStrings(values) { valuePointers in
                var k = keywordPointers + [nil]
                var v = valuePointers + [nil]
                return PQconnectdbParams(&k, &v, 1)
            }
        }
        guard let handle else {
            throw PostgresError(code: .connectionFailed, message: "cannot connect to PostgreSQL: out of memory")
        }
        guard PQstatus(handle) == CONNECTION_OK else {
            let where_ = describeTarget(handle)
            let reason = ConnectionString.redacting(
                String(cString: PQerrorMessage(handle)).replacingNewlines(), in: configuration.connectionString
            )
            PQfinish(handle)
            throw PostgresError(
                code: .connectionFailed,
                message: "cannot connect to PostgreSQL (\(where_)): \(reason)",
                hint: "check DATABASE_URL (or PGHOST/PGPORT/PGUSER/PGDATABASE) and that the server is running"
            )
        }
        PQsetNoticeReceiver(handle, noticeReceiver, Unmanaged.passUnretained(noticeSink).toOpaque())
        return handle
    }

    /// "host H, port P, database D" — from libpq's parsed options, so no password can appear.
    private static func describeTarget(_ handle: OpaquePointer) -> String {
        func text(_ pointer: UnsafeMutablePointer<CChar>?) -> String? {
            guard let pointer else { return nil }
            let value = String(cString: pointer)
            return value.isEmpty ? nil : value
        }
        let host = text(PQhost(handle)) ?? "default socket"
        let port = text(PQport(handle)) ?? "5432"
        let database = text(PQdb(handle)) ?? "default"
        let user = text(PQuser(handle)).map { ", user \($0)" } ?? ""
        return "host \(host), port \(port), database \(database)\(user)"
    }

    static func withCStrings<R>(_ strings: [String?], _ body: ([UnsafePointer<CChar>?]) throws -> R) rethrows -> R {
        var owned = [UnsafeMutablePointer<CChar>?]()
        owned.reserveCapacity(strings.count)
        defer { for pointer in owned { free(pointer) } }
        for string in strings { owned.append(string.map { strdup($0) }) }
        return try body(owned.map { UnsafePointer($0) })
    }
}

/// Sends cancel requests for one connection (`PQgetCancel`/`PQcancel`, which libpq documents as
/// safe to call from another thread than the one running the statement).
///
/// Each statement has a ``Ticket``: a cancel reaches only the statement of its ticket, also when
/// the task was cancelled while the statement still waited for the connection's queue (it is
/// then cancelled shortly after it starts, unless it has finished by then).
final class StatementCanceller: Sendable {
    private struct State: @unchecked Sendable {
        // Invariant for @unchecked Sendable: the PGcancel object is used and freed only while
        // the mutex that holds this state is held.
        var cancel: OpaquePointer?
        var running: UInt64?
        var counter: UInt64 = 0
    }
    private let state: Mutex<State>

    /// One statement's claim to be cancelled.
    final class Ticket: Sendable {
        private struct Claim { var statement: UInt64?; var cancelled = false }
        private let claim = Mutex(Claim())
        /// Records the statement that runs for this ticket; `true` if the ticket was cancelled already.
        fileprivate func started(_ statement: UInt64) -> Bool { claim.withLock { $0.statement = statement; return $0.cancelled } }
        /// Marks the ticket cancelled; the running statement, if it started.
        fileprivate func cancelled() -> UInt64? { claim.withLock { $0.cancelled = true; return $0.statement } }
    }

    init(handle: OpaquePointer) {
        state = Mutex(State(cancel: PQgetCancel(handle)))
    }

    /// On the connection's queue, before the statement of `ticket` runs.
    func begin(_ ticket: Ticket) {
        let statement = state.withLock { state in
            state.counter &+= 1
            state.running = state.counter
            return state.counter
        }
        if ticket.started(statement) { send(statement, after: .milliseconds(50)) }
    }

    func end() { state.withLock { $0.running = nil } }

    func cancel(_ ticket: Ticket) {
        if let statement = ticket.cancelled() { send(statement, after: .seconds(0)) }
    }

    /// Cancels whatever statement is running now.
    func cancelRunningStatement() {
        if let statement = state.withLock({ $0.running }) { send(statement, after: .seconds(0)) }
    }

    /// Sends the cancel request on a global queue (it opens a connection to the server), if
    /// `statement` is still the one running.
    private func send(_ statement: UInt64, after delay: DispatchTimeInterval) {
        DispatchQueue.global().asyncAfter(deadline: .now() + delay) { [self] in
            state.withLock { state in
                guard state.running == statement, let cancel = state.cancel else { return }
                var buffer = [CChar](repeating: 0, count: 256)
                _ = PQcancel(cancel, &buffer, Int32(buffer.count))
            }
        }
    }

    func free() {
        state.withLock { state in
            if let cancel = state.cancel { PQfreeCancel(cancel) }
            state.cancel = nil
        }
    }
}

/// Receives server notices (e.g. "relation already exists, skipping") and sends them to the logger
/// instead of libpq's default of printing to stderr.
final class NoticeSink: @unchecked Sendable {
    // Invariant: immutable after init; `Logger` is a value type that is safe to use from any thread.
    let logger: Logger
    init(logger: Logger) { self.logger = logger }
}

private let noticeReceiver: PQnoticeReceiver = { argument, result in
    guard let argument, let result else { return }
    let sink = Unmanaged<NoticeSink>.fromOpaque(argument).takeUnretainedValue()
    let severity = PQresultErrorField(result, Int32(Character("V").asciiValue!)).map { String(cString: $0) } ?? "NOTICE"
    let message = PQresultErrorField(result, Int32(Character("M").asciiValue!)).map { String(cString: $0) } ?? ""
    let level: Logger.Level = severity == "WARNING" ? .warning : .debug
    sink.logger.log(level: level, "postgres \(severity.lowercased()): \(message)")
}
