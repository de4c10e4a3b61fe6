import CLibPQ
import TallyCore

extension PostgresConnection {
    /// Streams rows into `COPY … FROM STDIN`; `fill` writes them through the `CopyInWriter`.
    ///
    /// On an error in `fill` the COPY is aborted with `PQputCopyEnd(errormsg)`, so the server
    /// discards what was sent, and the error is rethrown.
    public func copyIn(_ sql: String, _ fill: (inout CopyInWriter) throws -> Void) throws {
        let operation = Self.summary(of: sql)
        let start = try check(PQexec(handle, sql), operation: operation)
        let status = PQresultStatus(start)
        PQclear(start)
        guard status == PGRES_COPY_IN else {
            throw PostgresError(operation: operation, message: "the server did not enter COPY IN mode")
        }
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
            do { PQclear(try check(result, operation: operation)) } catch { firstError = firstError ?? error }
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

    /// Appends one text-format row; NULL fields are written as `\N`, the others escaped.
    public mutating func writeRow(_ fields: [any PostgresEncodable]) throws {
        for (index, field) in fields.enumerated() {
            if index > 0 { rows.bytes.append(0x09) }
            if let text = field.postgresText { appendEscaped(text) } else { rows.bytes.append(contentsOf: [0x5C, 0x4E]) }
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
    public mutating func appendNull() { rows.appendNull() }
    public mutating func appendBool(_ value: Bool) { rows.appendBool(value) }
    public mutating func appendText(bytes: UnsafeBufferPointer<UInt8>) { rows.appendText(bytes: bytes) }
    public mutating func appendJSONB(_ json: String) { rows.appendJSONB(json) }
    public mutating func appendTimestamp(microsecondsSinceUnixEpoch: Int64) { rows.appendTimestamp(microsecondsSinceUnixEpoch: microsecondsSinceUnixEpoch) }
    public mutating func appendNumeric(_ value: ExactDecimal) { rows.appendNumeric(value) }
    public mutating func appendDate(year: Int, month: Int, day: Int) { rows.appendDate(year: year, month: month, day: day) }

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
