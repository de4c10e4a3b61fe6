import TallyCore

/// A Swift type a column's value decodes into, from PostgreSQL's text form of it.
///
/// Decoding never traps: a value that does not fit the type (text in a `bigint` property, a
/// `numeric` beyond 38 digits, a timestamp before year 0) is an error that names the column and the
/// query (`PostgresDecodingError`).
public protocol PostgresDecodable {
    /// Decodes the text of a non-NULL value; throws saying why it does not fit.
    init(postgresText text: UnsafeBufferPointer<UInt8>) throws(PostgresValueError)
}

/// Why one value could not be decoded: the decoder adds the column and the query.
public struct PostgresValueError: Error, Sendable {
    public let message: String

    public init(_ message: String) { self.message = message }

    static func expected(_ kind: String, got text: UnsafeBufferPointer<UInt8>) -> PostgresValueError {
        let shown = String(decoding: UnsafeBufferPointer(rebasing: text.prefix(80)), as: UTF8.self)
        return PostgresValueError("expected \(kind), got \"\(shown)\(text.count > 80 ? "…" : "")\"")
    }
}

extension String: PostgresDecodable {
    public init(postgresText text: UnsafeBufferPointer<UInt8>) {
        self = String(decoding: text, as: UTF8.self)
    }
}

extension Int64: PostgresDecodable {
    public init(postgresText text: UnsafeBufferPointer<UInt8>) throws(PostgresValueError) {
        var index = 0
        let negative = text.first == UInt8(ascii: "-")
        if negative { index = 1 }
        guard index < text.count else { throw .expected("an integer", got: text) }
        var value: Int64 = 0
        while index < text.count {
            let digit = text[index] &- UInt8(ascii: "0")
            guard digit < 10 else { throw .expected("an integer", got: text) }
            let (shifted, overflow) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = negative
                ? shifted.subtractingReportingOverflow(Int64(digit))
                : shifted.addingReportingOverflow(Int64(digit))
            guard !overflow, !overflow2 else { throw .expected("an integer of 64 bits", got: text) }
            value = next
            index += 1
        }
        self = value
    }
}

extension Int: PostgresDecodable {
    public init(postgresText text: UnsafeBufferPointer<UInt8>) throws(PostgresValueError) {
        self = Int(try Int64(postgresText: text))
    }
}

extension Int32: PostgresDecodable {
    public init(postgresText text: UnsafeBufferPointer<UInt8>) throws(PostgresValueError) {
        guard let value = Int32(exactly: try Int64(postgresText: text)) else { throw .expected("an integer of 32 bits", got: text) }
        self = value
    }
}

extension Bool: PostgresDecodable {
    public init(postgresText text: UnsafeBufferPointer<UInt8>) throws(PostgresValueError) {
        switch text.count == 1 ? text[0] : 0 {
        case UInt8(ascii: "t"): self = true
        case UInt8(ascii: "f"): self = false
        default: throw .expected("a boolean (t or f)", got: text)
        }
    }
}

extension ExactDecimal: PostgresDecodable {
    /// A `numeric` (or integer) in plain decimal form, up to 38 significant digits.
    public init(postgresText text: UnsafeBufferPointer<UInt8>) throws(PostgresValueError) {
        guard let value = ExactDecimal(utf8: text) else { throw .expected("a decimal of at most 38 digits", got: text) }
        self = value
    }
}

extension UTCInstant: PostgresDecodable {
    /// A `timestamptz` as the session prints it (`2026-10-01 04:00:00.25+00`: ISO, in UTC, which
    /// `PostgresConnection` sets); any offset is honoured.
    public init(postgresText text: UnsafeBufferPointer<UInt8>) throws(PostgresValueError) {
        guard let instant = PostgresTimestamp.parse(text) else {
            throw .expected("a timestamp with time zone between years 0 and 9999", got: text)
        }
        self = instant
    }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public init(postgresText text: UnsafeBufferPointer<UInt8>) throws(PostgresValueError) {
        self = .some(try Wrapped(postgresText: text))
    }
}

/// Types whose value may be SQL NULL: optionals.
protocol PostgresNullable {
    static var null: Self { get }
}

extension Optional: PostgresNullable {
    static var null: Optional { .none }
}

/// Reads `timestamptz` output: `YYYY-MM-DD HH:MM:SS[.ffffff]±HH[:MM[:SS]]`.
enum PostgresTimestamp {
    static func parse(_ text: UnsafeBufferPointer<UInt8>) -> UTCInstant? {
        var index = 0
        func number(_ width: Int) -> Int? {
            guard index + width <= text.count else { return nil }
            var value = 0
            for _ in 0..<width {
                let digit = text[index] &- UInt8(ascii: "0")
                guard digit < 10 else { return nil }
                value = value * 10 + Int(digit)
                index += 1
            }
            return value
        }
        func skip(_ byte: Unicode.Scalar) -> Bool {
            guard index < text.count, text[index] == UInt8(ascii: byte) else { return false }
            index += 1
            return true
        }
        guard let year = number(4), skip("-"), let month = number(2), skip("-"), let day = number(2), skip(" "),
              let hour = number(2), skip(":"), let minute = number(2), skip(":"), let second = number(2)
        else { return nil }
        var microsecond = 0
        if skip(".") {
            var digits = 0
            while index < text.count, text[index] &- UInt8(ascii: "0") < 10 {
                guard digits < 6 else { return nil }
                microsecond = microsecond * 10 + Int(text[index] - UInt8(ascii: "0"))
                digits += 1
                index += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<6 { microsecond *= 10 }
        }
        let sign: Int
        if skip("+") { sign = 1 } else if skip("-") { sign = -1 } else { return nil }
        guard let offsetHours = number(2) else { return nil }
        var offsetSeconds = offsetHours * 3600
        if skip(":") {
            guard let minutes = number(2) else { return nil }
            offsetSeconds += minutes * 60
            if skip(":") {
                guard let seconds = number(2) else { return nil }
                offsetSeconds += seconds
            }
        }
        guard index == text.count,
              let local = UTCInstant(year: year, month: month, day: day, hour: hour, minute: minute, second: second,
                                     microsecond: microsecond)
        else { return nil }
        return UTCInstant(microsecondsSinceEpoch: local.microsecondsSinceEpoch - Int64(sign * offsetSeconds) * 1_000_000)
    }
}
