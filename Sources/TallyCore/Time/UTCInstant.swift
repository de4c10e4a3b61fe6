/// A point in time: whole microseconds since 1970-01-01T00:00:00Z, on the proleptic Gregorian calendar
/// without leap seconds (as Unix time and PostgreSQL `timestamptz` count).
public struct UTCInstant: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let microsecondsSinceEpoch: Int64

    public init(microsecondsSinceEpoch: Int64) {
        self.microsecondsSinceEpoch = microsecondsSinceEpoch
    }

    /// The instant of a UTC calendar date and time; nil when a field is out of range: a year outside
    /// 0...9999, month 13, April 31, February 29 in a common year, hour 24, minute or second 60.
    public init?(
        year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0, microsecond: Int = 0
    ) {
        guard (0...9999).contains(year), (1...12).contains(month),
              day >= 1, day <= UTCInstant.daysInMonth(month, year: year),
              (0..<24).contains(hour), (0..<60).contains(minute), (0..<60).contains(second),
              (0..<1_000_000).contains(microsecond)
        else { return nil }
        let days = UTCInstant.daysFromCivil(year: year, month: month, day: day)
        let seconds = ((days * 24 + hour) * 60 + minute) * 60 + second
        self.init(microsecondsSinceEpoch: Int64(seconds * 1_000_000 + microsecond))
    }

    /// The UTC calendar date and time of the instant.
    public var civil: (year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, microsecond: Int) {
        // Floor division, so that instants before 1970 fall on the day they belong to.
        let microsecondsPerDay = 86_400_000_000
        var days = Int(microsecondsSinceEpoch) / microsecondsPerDay
        var microsecondOfDay = Int(microsecondsSinceEpoch) % microsecondsPerDay
        if microsecondOfDay < 0 {
            days -= 1
            microsecondOfDay += microsecondsPerDay
        }
        let date = UTCInstant.civilFromDays(days)
        let secondOfDay = microsecondOfDay / 1_000_000
        return (date.year, date.month, date.day,
                secondOfDay / 3600, secondOfDay / 60 % 60, secondOfDay % 60, microsecondOfDay % 1_000_000)
    }

    /// RFC 3339 in UTC: `2026-10-01T04:00:00Z`, or `2026-10-01T04:00:00.250000Z` when there are sub-seconds.
    public var description: String {
        let time = civil
        var text: [UInt8] = []
        text.reserveCapacity(28)
        if time.year < 0 { text.append(UInt8(ascii: "-")) }
        UTCInstant.append(abs(time.year), width: 4, to: &text)
        let fields: [(separator: Unicode.Scalar, value: Int)] =
            [("-", time.month), ("-", time.day), ("T", time.hour), (":", time.minute), (":", time.second)]
        for (separator, field) in fields {
            text.append(UInt8(ascii: separator))
            UTCInstant.append(field, width: 2, to: &text)
        }
        if time.microsecond != 0 {
            text.append(UInt8(ascii: "."))
            UTCInstant.append(time.microsecond, width: 6, to: &text)
        }
        text.append(UInt8(ascii: "Z"))
        return String(decoding: text, as: UTF8.self)
    }

    public static func < (lhs: UTCInstant, rhs: UTCInstant) -> Bool {
        lhs.microsecondsSinceEpoch < rhs.microsecondsSinceEpoch
    }

    /// Decodes the bare microsecond count, as `encode(to:)` writes it.
    public init(from decoder: any Decoder) throws {
        self.init(microsecondsSinceEpoch: try decoder.singleValueContainer().decode(Int64.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(microsecondsSinceEpoch)
    }
}

// MARK: - Calendar arithmetic

extension UTCInstant {
    static func isLeapYear(_ year: Int) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    static func daysInMonth(_ month: Int, year: Int) -> Int {
        switch month {
        case 2: isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
    public static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let year = month <= 2 ? year - 1 : year
        let era = (year >= 0 ? year : year - 399) / 400
        let yearOfEra = year - era * 400  // 0...399
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1  // 0...365, from March 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear  // 0...146096
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's `civil_from_days`).
    static func civilFromDays(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let shifted = days + 719_468  // days since 0000-03-01
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097  // 0...146096
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365  // 0...399
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)  // 0...365, from March 1
        let monthFromMarch = (5 * dayOfYear + 2) / 153  // 0...11
        let day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1
        let month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
        let year = yearOfEra + era * 400
        return (month <= 2 ? year + 1 : year, month, day)
    }

    private static func append(_ value: Int, width: Int, to text: inout [UInt8]) {
        var divisor = 1
        var digits = 1
        while divisor <= value / 10 {
            divisor *= 10
            digits += 1
        }
        if digits < width { text += repeatElement(UInt8(ascii: "0"), count: width - digits) }
        while divisor > 0 {
            text.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
            divisor /= 10
        }
    }
}

extension UTCInstant {
    /// RFC 3339 in UTC without the sub-seconds, which are dropped (`2026-11-01T03:59:59Z` for
    /// 03:59:59.999999): how Lago's documents write instants.
    public var wholeSecondsDescription: String {
        let micros = microsecondsSinceEpoch
        let floored = micros - ((micros % 1_000_000) + 1_000_000) % 1_000_000
        return UTCInstant(microsecondsSinceEpoch: floored).description
    }
}
