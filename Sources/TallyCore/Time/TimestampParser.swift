/// Why an event's `timestamp` cannot be used (reject reason `invalid_timestamp`).
public enum TimestampError: Error, Equatable, Sendable {
    /// Neither Unix seconds nor an RFC 3339 date-time with an offset; holds the offending text.
    case unparseable(String)
    /// A valid instant outside `TimestampParser.earliest...TimestampParser.latest`.
    case outOfRange(UTCInstant)

    public var message: String {
        switch self {
        case .unparseable(let text):
            "timestamp \"\(text)\" is neither Unix seconds nor an RFC 3339 date-time with offset"
        case .outOfRange(let instant):
            "timestamp \(instant) is outside 2000-01-01..2100-01-01"
        }
    }
}

/// Reads event timestamps (docs/BILLING.md: event exports, validation): Unix seconds as a number or
/// numeric string, or RFC 3339 with an offset, kept to the microsecond and accepted between 2000-01-01
/// and 2100-01-01 inclusive.
///
/// Runs once per ingested event, so it works on UTF-8 bytes and allocates nothing unless it fails.
public enum TimestampParser {
    /// 2000-01-01T00:00:00Z, the earliest accepted instant.
    public static let earliest = UTCInstant(microsecondsSinceEpoch: 946_684_800_000_000)
    /// 2100-01-01T00:00:00Z, the latest accepted instant.
    public static let latest = UTCInstant(microsecondsSinceEpoch: 4_102_444_800_000_000)

    /// An NDJSON `timestamp`: a number of Unix seconds (an exponent is applied exactly), or a string
    /// read as `parse(text:)` does. Any other JSON value is unparseable.
    public static func parse(_ value: JSONValue) throws(TimestampError) -> UTCInstant {
        switch value {
        case .number(let literal):
            guard let instant = unixSeconds(jsonNumber: literal) else { throw .unparseable(literal) }
            return try inRange(instant)
        case .string(let text):
            return try parse(text: text[...])
        case .null:
            throw .unparseable("null")
        case .bool(let flag):
            throw .unparseable(flag ? "true" : "false")
        case .array:
            throw .unparseable("[...]")
        case .object:
            throw .unparseable("{...}")
        }
    }

    /// A CSV cell or JSON string: Unix seconds when it matches `-?\d+(\.\d+)?`, else RFC 3339.
    public static func parse(text: Substring) throws(TimestampError) -> UTCInstant {
        guard let instant = withUTF8(text, { unixSeconds(utf8: $0) ?? parseRFC3339(utf8: $0) }) else {
            throw .unparseable(String(text))
        }
        return try inRange(instant)
    }

    /// `parse(text:)` on raw UTF-8 bytes, such as a CSV cell still in the reader's buffer.
    public static func parse(utf8 bytes: UnsafeBufferPointer<UInt8>) throws(TimestampError) -> UTCInstant {
        guard let instant = unixSeconds(utf8: bytes) ?? parseRFC3339(utf8: bytes) else {
            throw .unparseable(String(decoding: bytes, as: UTF8.self))
        }
        return try inRange(instant)
    }

    /// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, with `t` or a space as separator and `z` accepted.
    /// The offset is required; a fraction of any length is truncated to microseconds. No range check.
    public static func parseRFC3339(_ text: Substring) -> UTCInstant? {
        withUTF8(text) { parseRFC3339(utf8: $0) }
    }

    private static func inRange(_ instant: UTCInstant) throws(TimestampError) -> UTCInstant {
        guard instant >= earliest, instant <= latest else { throw .outOfRange(instant) }
        return instant
    }
}

// MARK: - Unix seconds

extension TimestampParser {
    /// Seconds above this cannot be held in microseconds by an `Int64`.
    private static let maxWholeSeconds: Int64 = Int64.max / 1_000_000 - 1

    /// `-?\d+(\.\d+)?` as Unix seconds; digits past the microsecond round toward the earlier instant.
    /// A value beyond what `UTCInstant` holds saturates (it is out of range either way). Nil on any
    /// other text.
    private static func unixSeconds(utf8 bytes: UnsafeBufferPointer<UInt8>) -> UTCInstant? {
        let count = bytes.count
        var index = 0
        let negative = index < count && bytes[index] == UInt8(ascii: "-")
        if negative { index += 1 }

        var seconds: Int64 = 0
        var saturated = false
        let integerStart = index
        while index < count {
            let digit = bytes[index] &- UInt8(ascii: "0")
            guard digit < 10 else { break }
            if !saturated {
                seconds = seconds * 10 + Int64(digit)
                saturated = seconds > maxWholeSeconds
            }
            index += 1
        }
        guard index > integerStart else { return nil }

        var microseconds: Int64 = 0
        var truncated = false  // a non-zero digit beyond the sixth decimal was dropped
        if index < count {
            guard bytes[index] == UInt8(ascii: ".") else { return nil }
            index += 1
            let fractionStart = index
            while index < count {
                let digit = bytes[index] &- UInt8(ascii: "0")
                guard digit < 10 else { return nil }
                if index - fractionStart < 6 {
                    microseconds = microseconds * 10 + Int64(digit)
                } else if digit != 0 {
                    truncated = true
                }
                index += 1
            }
            guard index > fractionStart else { return nil }
            for _ in min(index - fractionStart, 6)..<6 { microseconds *= 10 }
        }

        if saturated { return UTCInstant(microsecondsSinceEpoch: negative ? .min : .max) }
        let magnitude = seconds * 1_000_000 + microseconds
        return UTCInstant(microsecondsSinceEpoch: negative ? -magnitude - (truncated ? 1 : 0) : magnitude)
    }

    /// A JSON number literal as Unix seconds. Without an exponent it is `unixSeconds(utf8:)`; with one
    /// (`1.79e9`) it is evaluated exactly first. Nil when it is not a number of at most 38 digits.
    private static func unixSeconds(jsonNumber literal: String) -> UTCInstant? {
        if let instant = withUTF8(literal[...], { unixSeconds(utf8: $0) }) { return instant }
        guard let seconds = ExactDecimal(jsonNumber: literal) else { return nil }
        let microseconds = seconds.rounded(scale: 6, .down).minorUnits(scale: 6)
        return UTCInstant(microsecondsSinceEpoch: microseconds ?? (seconds.isNegative ? .min : .max))
    }
}

// MARK: - RFC 3339

extension TimestampParser {
    private static func parseRFC3339(utf8 bytes: UnsafeBufferPointer<UInt8>) -> UTCInstant? {
        let count = bytes.count
        // `YYYY-MM-DDTHH:MM:SS` is 19 bytes; the shortest offset, `Z`, makes 20.
        guard count >= 20,
              let year = number(bytes, at: 0, width: 4), bytes[4] == UInt8(ascii: "-"),
              let month = number(bytes, at: 5, width: 2), bytes[7] == UInt8(ascii: "-"),
              let day = number(bytes, at: 8, width: 2),
              bytes[10] | 0x20 == UInt8(ascii: "t") || bytes[10] == UInt8(ascii: " "),
              let hour = number(bytes, at: 11, width: 2), bytes[13] == UInt8(ascii: ":"),
              let minute = number(bytes, at: 14, width: 2), bytes[16] == UInt8(ascii: ":"),
              let second = number(bytes, at: 17, width: 2)
        else { return nil }

        var index = 19
        var microsecond = 0
        if bytes[index] == UInt8(ascii: ".") {
            index += 1
            let fractionStart = index
            while index < count {
                let digit = bytes[index] &- UInt8(ascii: "0")
                guard digit < 10 else { break }
                if index - fractionStart < 6 { microsecond = microsecond * 10 + Int(digit) }
                index += 1
            }
            guard index > fractionStart else { return nil }
            for _ in min(index - fractionStart, 6)..<6 { microsecond *= 10 }
        }

        guard index < count else { return nil }
        let offsetSeconds: Int
        switch bytes[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            guard index + 1 == count else { return nil }
            offsetSeconds = 0
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard index + 6 == count,
                  let offsetHour = number(bytes, at: index + 1, width: 2), offsetHour < 24,
                  bytes[index + 3] == UInt8(ascii: ":"),
                  let offsetMinute = number(bytes, at: index + 4, width: 2), offsetMinute < 60
            else { return nil }
            let magnitude = offsetHour * 3600 + offsetMinute * 60
            offsetSeconds = bytes[index] == UInt8(ascii: "-") ? -magnitude : magnitude
        default:
            return nil
        }

        guard let local = UTCInstant(year: year, month: month, day: day, hour: hour, minute: minute,
                                     second: second, microsecond: microsecond)
        else { return nil }
        // Local time = UTC + offset, so UTC = local − offset.
        return UTCInstant(microsecondsSinceEpoch: local.microsecondsSinceEpoch - Int64(offsetSeconds) * 1_000_000)
    }

    /// The unsigned decimal in `bytes[offset ..< offset + width]`, or nil if any byte there is not a digit.
    private static func number(_ bytes: UnsafeBufferPointer<UInt8>, at offset: Int, width: Int) -> Int? {
        var value = 0
        for index in offset..<(offset + width) {
            let digit = bytes[index] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            value = value * 10 + Int(digit)
        }
        return value
    }

    /// Runs `body` on the text's UTF-8 bytes in place; copies only a non-contiguous (bridged) string.
    private static func withUTF8<Result>(
        _ text: Substring, _ body: (UnsafeBufferPointer<UInt8>) -> Result
    ) -> Result {
        if let result = text.utf8.withContiguousStorageIfAvailable(body) { return result }
        var copy = String(text)
        return copy.withUTF8(body)
    }
}
