import TallyCore

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

    /// A NULL in any column.
    public mutating func appendNull() { appendInt32(-1) }

    /// A `boolean` column.
    public mutating func appendBool(_ value: Bool) {
        appendInt32(1)
        bytes.append(value ? 1 : 0)
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

    /// A `date` column: days since 2000-01-01.
    public mutating func appendDate(year: Int, month: Int, day: Int) {
        appendInt32(4)
        appendInt32(Int32(truncatingIfNeeded: UTCInstant.daysFromCivil(year: year, month: month, day: day) - 10_957))
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
