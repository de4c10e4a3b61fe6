import Foundation

/// A calendar month in an IANA timezone, as the UTC instants it spans: the unit Tally bills in
/// (docs/BILLING.md, billing periods).
///
/// `from` is the first local instant of the month's first day and `to` the last microsecond of its last
/// day, both inclusive. Daylight saving is taken into account, so a month is not always a whole number of
/// 24-hour days: America/New_York October 2026 is 2026-10-01T04:00:00Z ... 2026-11-01T03:59:59.999999Z.
public struct BillingPeriod: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let year: Int
    /// 1...12.
    public let month: Int
    /// The IANA identifier the month is counted in, e.g. `America/New_York`.
    public let timezone: String
    /// Local midnight of the month's first day, in UTC.
    public let from: UTCInstant
    /// The last microsecond before the next month's local midnight, in UTC.
    public let to: UTCInstant

    /// Years whose months and both neighbours can be represented.
    static let years: ClosedRange<Int> = 1...9998

    /// The month `year-month` in `timezone`; nil when the timezone is unknown or a field is out of range.
    public init?(year: Int, month: Int, timezone: String) {
        guard BillingPeriod.years.contains(year), (1...12).contains(month),
              let zone = TimeZone(identifier: timezone)
        else { return nil }
        let (nextYear, nextMonth) = month == 12 ? (year + 1, 1) : (year, month + 1)
        self.year = year
        self.month = month
        self.timezone = timezone
        self.from = BillingPeriod.startOfLocalDay(year: year, month: month, day: 1, in: zone)
        let end = BillingPeriod.startOfLocalDay(year: nextYear, month: nextMonth, day: 1, in: zone)
        self.to = UTCInstant(microsecondsSinceEpoch: end.microsecondsSinceEpoch - 1)
    }

    /// The month of `instant` on the wall clock of `timezone`; nil when the timezone is unknown.
    public static func containing(_ instant: UTCInstant, timezone: String) -> BillingPeriod? {
        guard let zone = TimeZone(identifier: timezone) else { return nil }
        let local = localCivil(of: instant, in: zone)
        return BillingPeriod(year: local.year, month: local.month, timezone: timezone)
    }

    /// Parses a strict `YYYY-MM` label (`2026-10`); nil for anything else or an unknown timezone.
    public static func parse(label: String, timezone: String) -> BillingPeriod? {
        guard let month = CalendarMonth(label: label) else { return nil }
        return BillingPeriod(year: month.year, month: month.month, timezone: timezone)
    }

    /// The following month in the same timezone. Traps after December 9998.
    public var next: BillingPeriod {
        let (year, month) = month == 12 ? (self.year + 1, 1) : (self.year, self.month + 1)
        guard let period = BillingPeriod(year: year, month: month, timezone: timezone) else {
            preconditionFailure("no billing period after \(label)")
        }
        return period
    }

    /// The preceding month in the same timezone. Traps before January 1.
    public var previous: BillingPeriod {
        let (year, month) = month == 1 ? (self.year - 1, 12) : (self.year, self.month - 1)
        guard let period = BillingPeriod(year: year, month: month, timezone: timezone) else {
            preconditionFailure("no billing period before \(label)")
        }
        return period
    }

    /// `YYYY-MM`, as in invoice folders and `--period`.
    public var label: String { calendarMonth.label }

    /// The local date (YYYY-MM-DD) this period's invoice is issued on: the next period's first day.
    public var issuingDate: String { next.label + "-01" }

    public var description: String { label }

    /// 28...31: the denominator of a prorated fee.
    public var daysInMonth: Int {
        UTCInstant.daysInMonth(month, year: year)
    }

    /// The day of the month `instant` falls on in the period's timezone (for an instant in the period: 1...31).
    public func localDay(of instant: UTCInstant) -> Int {
        localCivil(of: instant).day
    }

    /// The period's timezone, known since the period was constructed with it.
    var zone: TimeZone {
        guard let zone = TimeZone(identifier: timezone) else {
            preconditionFailure("timezone \(timezone) of a constructed billing period is no longer known")
        }
        return zone
    }

    /// The wall-clock date `instant` falls on in the period's timezone.
    func localCivil(of instant: UTCInstant) -> (year: Int, month: Int, day: Int) {
        BillingPeriod.localCivil(of: instant, in: zone)
    }

    /// Whether `from ≤ instant ≤ to`.
    public func contains(_ instant: UTCInstant) -> Bool {
        from <= instant && instant <= to
    }

    /// Chronological for one timezone: by year, then month; periods of different timezones are ordered by
    /// identifier after that, only so that sorting is total.
    public static func < (lhs: BillingPeriod, rhs: BillingPeriod) -> Bool {
        (lhs.year, lhs.month, lhs.timezone) < (rhs.year, rhs.month, rhs.timezone)
    }
}

// MARK: - Local time

extension BillingPeriod {
    private static let microsecondsPerSecond: Int64 = 1_000_000

    /// The offset from UTC of `zone`'s wall clock at `seconds` since the epoch.
    private static func offsetSeconds(atEpochSecond seconds: Int64, in zone: TimeZone) -> Int64 {
        // Foundation takes a Double here; a whole number of seconds below 2^53 converts exactly.
        Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(seconds))))
    }

    private static func epochSecond(of instant: UTCInstant) -> Int64 {
        // Floor division: the offset in force at 12:00:00.5 is the one of 12:00:00, also before 1970.
        let micros = instant.microsecondsSinceEpoch
        let seconds = micros / microsecondsPerSecond
        return micros % microsecondsPerSecond < 0 ? seconds - 1 : seconds
    }

    /// The wall-clock date and time of `instant` in `zone`.
    static func localCivil(of instant: UTCInstant, in zone: TimeZone) -> (year: Int, month: Int, day: Int) {
        let offset = offsetSeconds(atEpochSecond: epochSecond(of: instant), in: zone)
        let local = UTCInstant(microsecondsSinceEpoch: instant.microsecondsSinceEpoch + offset * microsecondsPerSecond)
        let civil = local.civil
        return (civil.year, civil.month, civil.day)
    }

    /// The first instant whose wall-clock time in `zone` is at or after local midnight of the date.
    ///
    /// Usually the one instant `t` with `t + offset(t) = midnight`, found by trying the offsets in force
    /// around it. Where midnight is skipped (a spring-forward gap at 00:00) it is the transition itself;
    /// where it occurs twice (a fall-back from 01:00 to 00:00) it is the first occurrence. Any wall clock is
    /// within 14 hours of UTC, so the answer lies within 15 hours of midnight-read-as-UTC: the offsets at
    /// both ends of that window and at its middle include the one in force at the answer (offsets change at
    /// most once in 30 hours).
    static func startOfLocalDay(year: Int, month: Int, day: Int, in zone: TimeZone) -> UTCInstant {
        let midnightAsUTC = Int64(UTCInstant.daysFromCivil(year: year, month: month, day: day)) * 86_400
        let window: Int64 = 15 * 3_600
        let offsets = Set([midnightAsUTC - window, midnightAsUTC, midnightAsUTC + window].map {
            offsetSeconds(atEpochSecond: $0, in: zone)
        })
        // A candidate `midnight − o` is on or after midnight locally when its own offset is ≥ o; the
        // smallest such candidate is the start of the day (the first local midnight, or the end of a gap).
        let start = offsets
            .map { midnightAsUTC - $0 }
            .filter { $0 + offsetSeconds(atEpochSecond: $0, in: zone) >= midnightAsUTC }
            .min()
        guard let start else {
            preconditionFailure("no start of day for \(year)-\(month)-\(day) in \(zone.identifier)")
        }
        return UTCInstant(microsecondsSinceEpoch: start * microsecondsPerSecond)
    }
}
