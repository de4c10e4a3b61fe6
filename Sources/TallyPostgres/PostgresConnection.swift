import CLibPQ
import Glibc

/// One libpq connection. Not thread-safe: it has one owner at a time.
///
/// Every statement goes through `PQexecParams` (parameters are never interpolated into SQL), every
/// result is read and `PQclear`ed at once, and the connection is `PQfinish`ed on deinit, even after
/// a failed connect. Rows are decoded by column name into Swift values
/// (`PostgresConnection+Query.swift`); bulk data goes in by COPY (`PostgresConnection+CopyIn.swift`).
public final class PostgresConnection {
    let handle: OpaquePointer
    /// Where this connection's cancel handle is registered (`PostgresInterrupt`).
    private var interruptSlot: Int?

    /// Settings every session gets, because the value decoders rely on them: timestamps are read
    /// and written in UTC, dates as ISO `YYYY-MM-DD`.
    static let requiredSettings: [(name: String, value: String)] = [("TimeZone", "UTC"), ("DateStyle", "ISO, YMD")]

    /// Connects, then applies `requiredSettings` and `settings` (name, value) to the session.
    public init(connectionString: String, settings: [(name: String, value: String)] = []) throws(PostgresError) {
        guard let handle = PQconnectdb(connectionString) else {
            throw PostgresError(operation: "connecting", message: "libpq could not allocate a connection")
        }
        guard PQstatus(handle) == CONNECTION_OK else {
            let message = Self.trimmed(PQerrorMessage(handle))
            PQfinish(handle)
            throw PostgresError(operation: "connecting", message: message, code: .sqlClientUnableToEstablishConnection)
        }
        self.handle = handle
        PQsetNoticeProcessor(handle, { _, _ in }, nil)
        if let cancel = PQgetCancel(handle) {
            interruptSlot = PostgresInterrupt.register(cancel)
            if interruptSlot == nil { PQfreeCancel(cancel) }
        }
        let all = Self.requiredSettings + settings
        let calls = all.indices.map { "set_config($\(2 * $0 + 1), $\(2 * $0 + 2), false)" }.joined(separator: ", ")
        try execute("SELECT " + calls, all.flatMap { [$0.name, $0.value] })
    }

    deinit {
        if let slot = interruptSlot, let cancel = PostgresInterrupt.unregister(slot) { PQfreeCancel(cancel) }
        PQfinish(handle)
    }

    /// Runs one statement with parameters (`$1`, `$2`, …; `nil` is SQL NULL) and returns the number
    /// of rows it affected (or returned). Use `query` to read rows.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [any PostgresEncodable] = []) throws(PostgresError) -> Int {
        let result = try run(sql, parameters)
        defer { PQclear(result) }
        return Self.affectedRows(result)
    }

    /// Runs several statements without parameters (migrations, DDL scripts).
    public func executeScript(_ sql: String, operation: String) throws(PostgresError) {
        PQclear(try check(PQexec(handle, sql), operation: operation))
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN")
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            _ = try? execute("ROLLBACK")
            throw error
        }
    }

    /// Runs `body` inside a savepoint of the open transaction: released when it returns, rolled
    /// back to (undoing only what `body` did) when it throws.
    public func savepoint<T>(_ body: () throws -> T) throws -> T {
        try execute("SAVEPOINT tally_savepoint")
        do {
            let value = try body()
            try execute("RELEASE SAVEPOINT tally_savepoint")
            return value
        } catch {
            _ = try? execute("ROLLBACK TO SAVEPOINT tally_savepoint")
            _ = try? execute("RELEASE SAVEPOINT tally_savepoint")
            throw error
        }
    }

    // MARK: - libpq results

    /// Runs `sql` with text parameters and returns its successful result, which the caller clears.
    func run(_ sql: String, _ parameters: [any PostgresEncodable]) throws(PostgresError) -> OpaquePointer {
        let texts = parameters.map { $0.postgresText }
        let result = texts.withCStringArray { values in
            PQexecParams(handle, sql, Int32(values.count), nil, values, nil, nil, 0)
        }
        return try check(result, operation: Self.summary(of: sql))
    }

    /// The result if it succeeded; otherwise clears it and throws what the server said.
    func check(_ result: OpaquePointer?, operation: @autoclosure () -> String) throws(PostgresError) -> OpaquePointer {
        guard let result else {
            throw PostgresError(operation: operation(), message: Self.trimmed(PQerrorMessage(handle)), code: .connectionException)
        }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_EMPTY_QUERY, PGRES_COPY_IN, PGRES_TUPLES_OK, PGRES_SINGLE_TUPLE:
            return result
        default:
            let error = PostgresError(
                operation: operation(),
                message: Self.trimmed(PQresultErrorField(result, Int32(UInt8(ascii: "M"))) ?? PQresultErrorMessage(result)),
                code: PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { PostgresError.Code(String(cString: $0)) },
                detail: PQresultErrorField(result, Int32(UInt8(ascii: "D"))).map { String(cString: $0) })
            PQclear(result)
            throw error
        }
    }

    /// Reads and clears every pending result (after COPY, or a streamed query stopped early).
    func drainResults() {
        while let result = PQgetResult(handle) { PQclear(result) }
    }

    private static func affectedRows(_ result: OpaquePointer) -> Int {
        if PQresultStatus(result) == PGRES_TUPLES_OK { return Int(PQntuples(result)) }
        return Int(String(cString: PQcmdTuples(result))) ?? 0
    }

    static func trimmed(_ message: UnsafePointer<CChar>?) -> String {
        guard let message else { return "unknown error" }
        let text = String(cString: message)
        return String(text.reversed().drop(while: \.isWhitespace).reversed())
    }

    /// The statement's first words, to say which one failed without echoing data.
    static func summary(of sql: String) -> String {
        "running \"\(statementName(sql))\""
    }

    /// The first words of a statement (up to about 60 characters), whitespace collapsed.
    static func statementName(_ sql: String) -> String {
        var words: [Substring] = []
        var length = 0
        for word in sql.split(whereSeparator: \.isWhitespace) {
            if length + word.count > 60, !words.isEmpty { return words.joined(separator: " ") + " …" }
            words.append(word)
            length += word.count + 1
        }
        return words.joined(separator: " ")
    }
}

extension Array where Element == String? {
    /// Calls `body` with a C array of NUL-terminated copies of the strings (NULL for nil), valid only inside.
    func withCStringArray<R>(_ body: ([UnsafePointer<CChar>?]) -> R) -> R {
        var copies: [UnsafeMutablePointer<CChar>?] = []
        copies.reserveCapacity(count)
        defer { copies.forEach { $0?.deallocate() } }
        for string in self {
            guard let string else {
                copies.append(nil)
                continue
            }
            let bytes = Array<CChar>(string.utf8CString)
            let copy = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count)
            copy.initialize(from: bytes, count: bytes.count)
            copies.append(copy)
        }
        return body(copies.map { $0.map { UnsafePointer($0) } })
    }
}
