import CLibPQ
import Glibc
import TallyCore

/// One libpq connection. Not thread-safe: it has one owner at a time.
///
/// Every statement goes through `PQexecParams` (parameters never interpolated into SQL), every
/// result is copied into Swift values and `PQclear`ed at once, and the connection is `PQfinish`ed
/// on deinit, even after a failed connect.
public final class PostgresConnection {
    private let handle: OpaquePointer

    public init(connectionString: String) throws(PostgresError) {
        guard let handle = PQconnectdb(connectionString) else {
            throw PostgresError(operation: "connecting", message: "libpq could not allocate a connection")
        }
        guard PQstatus(handle) == CONNECTION_OK else {
            let message = Self.trimmed(PQerrorMessage(handle))
            PQfinish(handle)
            throw PostgresError(operation: "connecting", message: message, sqlState: "08001")
        }
        self.handle = handle
        PQsetNoticeProcessor(handle, { _, _ in }, nil)
        // Tally works in UTC throughout; date_trunc and date casts must not depend on the server's zone.
        // Ingest stages each file in a temporary table and sorts it: keep both in memory up to a
        // size where spilling to disk would dominate. temp_buffers only counts before a session's
        // first temporary table, hence here.
        try executeScript("SET TIME ZONE 'UTC'; SET temp_buffers = '1GB'; SET work_mem = '512MB'", operation: "configuring the session")
    }

    deinit { PQfinish(handle) }

    /// Runs one statement with text parameters (`$1`, `$2`, … ; `nil` is SQL NULL) and returns its rows.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [String?] = []) throws(PostgresError) -> PostgresRows {
        let result = withCStrings(parameters) { values in
            PQexecParams(handle, sql, Int32(parameters.count), nil, values, nil, nil, 0)
        }
        return try consume(result, operation: Self.summary(of: sql))
    }

    /// Runs several statements without parameters (migrations, DDL scripts).
    public func executeScript(_ sql: String, operation: String) throws(PostgresError) {
        _ = try consume(PQexec(handle, sql), operation: operation)
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

    /// Streams rows into `COPY … FROM STDIN`; `fill` writes them through the `CopyInWriter`.
    ///
    /// On an error in `fill` the COPY is aborted with `PQputCopyEnd(errormsg)`, so the server
    /// discards what was sent, and the error is rethrown.
    public func copyIn(_ sql: String, _ fill: (inout CopyInWriter) throws -> Void) throws {
        let operation = Self.summary(of: sql)
        let start = PQexec(handle, sql)
        let status = PQresultStatus(start)
        guard status == PGRES_COPY_IN else {
            _ = try consume(start, operation: operation)
            throw PostgresError(operation: operation, message: "server did not enter COPY IN mode")
        }
        PQclear(start)
        var writer = CopyInWriter(connection: self)
        do {
            try fill(&writer)
            try writer.flush()
        } catch {
            PQputCopyEnd(handle, "aborted by Tally")
            drainResults()
            throw error
        }
        guard PQputCopyEnd(handle, nil) == 1 else {
            let message = Self.trimmed(PQerrorMessage(handle))
            drainResults()
            throw PostgresError(operation: operation, message: message)
        }
        var firstError: PostgresError?
        while let result = PQgetResult(handle) {
            do { _ = try consume(result, operation: operation) } catch { firstError = firstError ?? error }
        }
        if let firstError { throw firstError }
    }

    fileprivate func putCopyData(_ bytes: UnsafeRawBufferPointer) throws(PostgresError) {
        guard !bytes.isEmpty else { return }
        let sent = bytes.withMemoryRebound(to: CChar.self) { chars in
            PQputCopyData(handle, chars.baseAddress, Int32(chars.count))
        }
        guard sent == 1 else {
            throw PostgresError(operation: "sending COPY data", message: Self.trimmed(PQerrorMessage(handle)))
        }
    }

    private func drainResults() {
        while let result = PQgetResult(handle) { PQclear(result) }
    }

    private func consume(_ result: OpaquePointer?, operation: @autoclosure () -> String) throws(PostgresError) -> PostgresRows {
        guard let result else {
            throw PostgresError(operation: operation(), message: Self.trimmed(PQerrorMessage(handle)), sqlState: "08000")
        }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_EMPTY_QUERY, PGRES_COPY_IN:
            return PostgresRows(columns: [], rows: [], affected: Self.affectedRows(result))
        case PGRES_TUPLES_OK:
            return Self.rows(of: result)
        default:
            throw PostgresError(
                operation: operation(),
                message: Self.trimmed(PQresultErrorField(result, Int32(UInt8(ascii: "M")))
                    ?? PQresultErrorMessage(result)),
                sqlState: PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) },
                detail: PQresultErrorField(result, Int32(UInt8(ascii: "D"))).map { String(cString: $0) })
        }
    }

    private static func rows(of result: OpaquePointer) -> PostgresRows {
        let columnCount = PQnfields(result)
        let rowCount = PQntuples(result)
        let columns = (0..<columnCount).map { String(cString: PQfname(result, $0)) }
        var rows: [[String?]] = []
        rows.reserveCapacity(Int(rowCount))
        for row in 0..<rowCount {
            rows.append((0..<columnCount).map { column in
                PQgetisnull(result, row, column) == 1 ? nil : String(cString: PQgetvalue(result, row, column))
            })
        }
        return PostgresRows(columns: columns, rows: rows, affected: Int(rowCount))
    }

    private static func affectedRows(_ result: OpaquePointer) -> Int {
        Int(String(cString: PQcmdTuples(result))) ?? 0
    }

    private static func trimmed(_ message: UnsafePointer<CChar>?) -> String {
        guard let message else { return "unknown error" }
        let text = String(cString: message)
        return String(text.reversed().drop(while: \.isWhitespace).reversed())
    }

    /// The first words of a statement, to say what failed without echoing data.
    private static func summary(of sql: String) -> String {
        let words = sql.split(whereSeparator: \.isWhitespace).prefix(4).joined(separator: " ")
        return "running \"\(words)…\""
    }
}

/// Calls `body` with a C array of NUL-terminated copies of `strings` (NULL for nil), valid only inside.
private func withCStrings<R>(_ strings: [String?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    let copies: [UnsafeMutablePointer<CChar>?] = strings.map { $0.map { strdup($0)! } }
    defer { copies.forEach { free($0) } }
    return body(copies.map { $0.map { UnsafePointer($0) } })
}

/// Rows of a query result, already copied out of libpq, as text.
public struct PostgresRows: Sendable {
    public let columns: [String]
    public let rows: [[String?]]
    /// Rows returned, or rows affected for INSERT/UPDATE/DELETE.
    public let affected: Int

    /// The single value of a one-row, one-column result.
    public var scalar: String? { rows.first?.first ?? nil }
}

/// Array parameters in PostgreSQL's text form, for `= ANY ($1::bigint[])` and `unnest`.
enum PostgresArray {
    /// `{1,2,3}`.
    static func bigint(_ values: [Int64]) -> String {
        "{" + values.map(String.init).joined(separator: ",") + "}"
    }

    /// `{"a","b \\"c\\""}`: every element quoted, quotes and backslashes escaped.
    static func text(_ values: [String]) -> String {
        func quoted(_ text: String) -> String {
            "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        return "{" + values.map(quoted).joined(separator: ",") + "}"
    }
}

/// Buffers COPY data and hands it to libpq in large chunks: text-format rows (`writeRow`), or
/// binary-format rows (`COPY … (FORMAT binary)`: `beginBinary`, then per row `beginRow` and one
/// `append…` per column, or rows encoded beforehand with `appendRows`, then `endBinary`), which
/// spare the server from parsing text.
public struct CopyInWriter: ~Copyable {
    private let connection: PostgresConnection
    private var rows = BinaryCopyRows()
    private static let chunkSize = 1 << 18

    fileprivate init(connection: PostgresConnection) {
        self.connection = connection
        rows.bytes.reserveCapacity(Self.chunkSize + 4096)
    }

    /// Appends one row; `nil` fields are written as `\N`. Fields are escaped for COPY's text format.
    public mutating func writeRow(_ fields: [String?]) throws {
        for (index, field) in fields.enumerated() {
            if index > 0 { rows.bytes.append(0x09) }
            if let field { appendEscaped(field) } else { rows.bytes.append(contentsOf: [0x5C, 0x4E]) }
        }
        rows.bytes.append(0x0A)
        if rows.bytes.count >= Self.chunkSize { try flush() }
    }

    private mutating func appendEscaped(_ field: String) {
        for byte in field.utf8 {
            switch byte {
            case 0x5C: rows.bytes.append(0x5C); rows.bytes.append(0x5C)
            case 0x09: rows.bytes.append(0x5C); rows.bytes.append(UInt8(ascii: "t"))
            case 0x0A: rows.bytes.append(0x5C); rows.bytes.append(UInt8(ascii: "n"))
            case 0x0D: rows.bytes.append(0x5C); rows.bytes.append(UInt8(ascii: "r"))
            default: rows.bytes.append(byte)
            }
        }
    }

    /// The binary format's signature, flags and header extension length.
    public mutating func beginBinary() {
        rows.bytes.append(contentsOf: Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00])
        rows.appendInt32(0)
        rows.appendInt32(0)
    }

    /// The binary format's trailer.
    public mutating func endBinary() throws {
        rows.appendInt16(-1)
        try flush()
    }

    /// Starts a binary row of `columns` columns.
    public mutating func beginRow(columns: Int) throws {
        if rows.bytes.count >= Self.chunkSize { try flush() }
        rows.beginRow(columns: columns)
    }

    public mutating func appendBigint(_ value: Int64) { rows.appendBigint(value) }
    public mutating func appendText(_ value: String) { rows.appendText(value) }
    public mutating func appendText(bytes: UnsafeBufferPointer<UInt8>) { rows.appendText(bytes: bytes) }
    public mutating func appendJSONB(_ json: String) { rows.appendJSONB(json) }
    public mutating func appendTimestamp(microsecondsSinceUnixEpoch: Int64) { rows.appendTimestamp(microsecondsSinceUnixEpoch: microsecondsSinceUnixEpoch) }
    public mutating func appendNumeric(_ value: ExactDecimal) { rows.appendNumeric(value) }

    /// Whole binary rows encoded beforehand by `BinaryCopyRows`.
    public mutating func appendRows(_ encoded: UnsafeBufferPointer<UInt8>) throws {
        rows.bytes.append(contentsOf: encoded)
        if rows.bytes.count >= Self.chunkSize { try flush() }
    }

    public mutating func flush() throws {
        defer { rows.bytes.removeAll(keepingCapacity: true) }
        try rows.bytes.withUnsafeBytes { try connection.putCopyData($0) }
    }
}

/// Rows in COPY's binary format, column by column: each value is its length, then its bytes in
/// the type's binary send format (big-endian integers).
public struct BinaryCopyRows: Sendable {
    public internal(set) var bytes: [UInt8] = []

    public init() {}

    /// Starts a row of `columns` columns.
    public mutating func beginRow(columns: Int) { appendInt16(Int16(columns)) }

    /// A `bigint` column.
    public mutating func appendBigint(_ value: Int64) {
        appendInt32(8)
        appendInt64(value)
    }

    /// A `text` column: the string's UTF-8 bytes, which must not contain NUL.
    public mutating func appendText(_ value: String) {
        var value = value
        value.withUTF8 { appendText(bytes: $0) }
    }

    public mutating func appendText(bytes: UnsafeBufferPointer<UInt8>) {
        appendInt32(Int32(bytes.count))
        self.bytes.append(contentsOf: bytes)
    }

    /// A `jsonb` column: format version 1, then the JSON text.
    public mutating func appendJSONB(_ json: String) {
        var json = json
        json.withUTF8 { text in
            appendInt32(Int32(text.count + 1))
            bytes.append(1)
            bytes.append(contentsOf: text)
        }
    }

    /// A `timestamptz` column: microseconds since 2000-01-01T00:00:00Z.
    public mutating func appendTimestamp(microsecondsSinceUnixEpoch: Int64) {
        appendInt32(8)
        appendInt64(microsecondsSinceUnixEpoch - 946_684_800_000_000)
    }

    /// A `numeric` column: base-10000 digits around the decimal point, the sign and the display scale.
    public mutating func appendNumeric(_ value: ExactDecimal) {
        let numeric = PostgresNumeric(value)
        appendInt32(Int32(8 + 2 * numeric.digits.count))
        appendInt16(Int16(numeric.digits.count))
        appendInt16(numeric.weight)
        appendInt16(value.isNegative ? 0x4000 : 0)
        appendInt16(Int16(value.scale))
        for digit in numeric.digits { appendInt16(digit) }
    }

    mutating func appendInt16(_ value: Int16) {
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    mutating func appendInt32(_ value: Int32) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func appendInt64(_ value: Int64) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }
}

/// A decimal as PostgreSQL's binary `numeric` lays it out: base-10000 digits, most significant first,
/// the first of weight `weight` (10000^weight), without leading or trailing zero digits.
struct PostgresNumeric {
    var digits: [Int16] = []
    var weight: Int16 = 0

    init(_ value: ExactDecimal) {
        // The magnitude's decimal digits, with at least one before the point.
        var decimals = Array(String(value.significand.magnitude).utf8).map { Int16($0 - 48) }
        if decimals.count <= value.scale { decimals.insert(contentsOf: repeatElement(0, count: value.scale + 1 - decimals.count), at: 0) }
        // Pad the integer part on the left and the fraction on the right to whole groups of four.
        let integerCount = decimals.count - value.scale
        let leftPad = (4 - integerCount % 4) % 4
        let rightPad = (4 - value.scale % 4) % 4
        decimals = Array(repeating: 0, count: leftPad) + decimals + Array(repeating: 0, count: rightPad)
        var groups: [Int16] = []
        for start in stride(from: 0, to: decimals.count, by: 4) {
            var group: Int16 = 0
            for digit in decimals[start..<start + 4] { group = group * 10 + digit }
            groups.append(group)
        }
        var weight = Int16((integerCount + leftPad) / 4 - 1)
        while let first = groups.first, first == 0 {
            groups.removeFirst()
            weight -= 1
        }
        while let last = groups.last, last == 0 { groups.removeLast() }
        self.digits = groups
        self.weight = groups.isEmpty ? 0 : weight
    }
}
