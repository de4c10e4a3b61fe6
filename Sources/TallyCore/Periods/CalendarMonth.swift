/// A calendar month, without a timezone: the name of a monthly usage bucket and of a billing
/// period's label. `BillingPeriod` says which instants a month spans in a given timezone.
public struct CalendarMonth: Hashable, Comparable, Sendable {
    public let year: Int
    /// 1...12.
    public let month: Int

    public init(year: Int, month: Int) {
        self.year = year
        self.month = month
    }

    /// Parses a strict `YYYY-MM` label (`2026-10`): four digits, a hyphen, two digits, a month of
    /// 1...12; nil for anything else (signs, spaces, a day).
    public init?(label: String) {
        let bytes = Array(label.utf8)
        guard bytes.count == 7, bytes[4] == UInt8(ascii: "-") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for byte in bytes[range] {
                let digit = byte &- UInt8(ascii: "0")
                guard digit < 10 else { return nil }
                value = value * 10 + Int(digit)
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), (1...12).contains(month) else { return nil }
        self.init(year: year, month: month)
    }

    /// `YYYY-MM`, as in invoice folders and `--period`.
    public var label: String { Self.padded(year, 4) + "-" + Self.padded(month, 2) }

    /// `YYYY-MM-01`: the month's first day, as the usage rollups name it.
    public var firstDay: String { label + "-01" }

    public static func < (lhs: CalendarMonth, rhs: CalendarMonth) -> Bool {
        (lhs.year, lhs.month) < (rhs.year, rhs.month)
    }

    private static func padded(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}

extension BillingPeriod {
    /// The calendar month this period is, without its timezone.
    public var calendarMonth: CalendarMonth { CalendarMonth(year: year, month: month) }
}
