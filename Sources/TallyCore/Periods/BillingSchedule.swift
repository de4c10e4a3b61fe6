import Foundation

/// A run of whole local days that a subscription is billed for, when its periods are not calendar
/// months: a week, or a period counted from the subscription's anniversary (docs/BILLING.md, weekly
/// plans and anniversary billing). It is billed on its own invoice, issued on `billingDay`.
public struct DatedPeriod: Hashable, Sendable {
    /// The IANA timezone the days are counted in.
    public let timezone: String
    /// The first and last local dates, as days since 1970-01-01, both included.
    public let firstDay: Int
    public let lastDay: Int
    /// Local midnight of the first day, in UTC.
    public let from: UTCInstant
    /// The last microsecond of the last day, in UTC.
    public let to: UTCInstant

    /// Nil when the timezone is unknown or the days are out of Tally's years.
    init?(timezone: String, firstDay: Int, lastDay: Int) {
        guard let zone = TimeZone(identifier: timezone), firstDay <= lastDay,
              DatedPeriod.days.contains(firstDay), DatedPeriod.days.contains(lastDay)
        else { return nil }
        self.timezone = timezone
        self.firstDay = firstDay
        self.lastDay = lastDay
        let first = UTCInstant.civilFromDays(firstDay), next = UTCInstant.civilFromDays(lastDay + 1)
        from = BillingPeriod.startOfLocalDay(year: first.year, month: first.month, day: first.day, in: zone)
        let end = BillingPeriod.startOfLocalDay(year: next.year, month: next.month, day: next.day, in: zone)
        to = UTCInstant(microsecondsSinceEpoch: end.microsecondsSinceEpoch - 1)
    }

    /// Days of the years 1...9998, as `BillingPeriod` allows.
    static let days = UTCInstant.daysFromCivil(year: 1, month: 1, day: 1)...UTCInstant.daysFromCivil(year: 9998, month: 12, day: 31)

    /// Days in the period: the denominator of a prorated fee.
    public var days: Int { lastDay - firstDay + 1 }

    /// The local date the period's invoice is issued on: the day after its last.
    public var billingDay: Int { lastDay + 1 }

    /// `YYYY-MM-DD` of `billingDay`: the invoice's period label and folder.
    public var label: String { DatedPeriod.label(ofDay: billingDay) }

    public static func label(ofDay day: Int) -> String {
        let civil = UTCInstant.civilFromDays(day)
        return CalendarMonth(year: civil.year, month: civil.month).label + (civil.day < 10 ? "-0" : "-") + String(civil.day)
    }

    /// Parses a strict `YYYY-MM-DD` label into its day number; nil for anything else.
    public static func day(ofLabel label: String) -> Int? {
        let bytes = Array(label.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
              let month = CalendarMonth(label: String(label.prefix(7)))
        else { return nil }
        var day = 0
        for byte in bytes[8..<10] {
            let digit = byte &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            day = day * 10 + Int(digit)
        }
        guard (1...UTCInstant.daysInMonth(month.month, year: month.year)).contains(day) else { return nil }
        return UTCInstant.daysFromCivil(year: month.year, month: month.month, day: day)
    }

    public func contains(_ instant: UTCInstant) -> Bool { from <= instant && instant <= to }
}

/// The dated periods of one subscription, as Lago's `Subscriptions::Dates` services count them:
///
/// - a weekly plan billed on the calendar: Monday to Sunday;
/// - a weekly plan billed on the anniversary: seven days from the weekday the subscription started on;
/// - a monthly, quarterly, semiannual or yearly plan billed on the anniversary: from the day of the
///   month the subscription started on, every 1, 3, 6 or 12 months, to the day before the next such
///   day. A month without that day starts the period on its last day instead (a subscription of
///   January 31st has periods January 31st–February 27th, February 28th–March 30th, March 31st–April
///   29th, …).
///
/// Calendar-billed monthly, quarterly, semiannual and yearly plans have no schedule: their periods
/// are calendar months (`PlanPeriod`).
public struct BillingSchedule: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case weeks(firstWeekday: Int)
        case months(count: Int, anchorYear: Int, anchorMonth: Int, anchorDay: Int)
    }

    public let kind: Kind
    public let timezone: String

    /// The schedule of a subscription on a plan of `interval`, billed on its anniversary or not,
    /// that first started at `startedAt` in `timezone`; nil when its periods are calendar months
    /// (or the timezone is unknown).
    public init?(interval: PlanInterval, anniversary: Bool, startedAt: UTCInstant, timezone: String) {
        guard let zone = TimeZone(identifier: timezone) else { return nil }
        let start = BillingPeriod.localCivil(of: startedAt, in: zone)
        switch interval.months {
        case nil:
            // Weekdays counted from Monday (0), as Lago's calendar weeks start on Monday.
            let day = UTCInstant.daysFromCivil(year: start.year, month: start.month, day: start.day)
            kind = .weeks(firstWeekday: anniversary ? Self.weekday(of: day) : 0)
        case let months?:
            guard anniversary else { return nil }
            kind = .months(count: months, anchorYear: start.year, anchorMonth: start.month, anchorDay: start.day)
        }
        self.timezone = timezone
    }

    /// 0 for Monday … 6 for Sunday. Day 0, 1970-01-01, was a Thursday.
    static func weekday(of day: Int) -> Int {
        ((day + 3) % 7 + 7) % 7
    }

    /// The period that holds the local date `day`; nil out of Tally's years.
    public func period(containingDay day: Int) -> DatedPeriod? {
        switch kind {
        case .weeks(let firstWeekday):
            let first = day - ((Self.weekday(of: day) - firstWeekday) % 7 + 7) % 7
            return DatedPeriod(timezone: timezone, firstDay: first, lastDay: first + 6)
        case .months(let count, let year, let month, let anchorDay):
            let civil = UTCInstant.civilFromDays(day)
            let monthsSince = (civil.year * 12 + civil.month) - (year * 12 + month)
            var index = monthsSince >= 0 ? monthsSince / count : -((-monthsSince + count - 1) / count)
            if start(index, count: count, year: year, month: month, day: anchorDay) > day { index -= 1 }
            return DatedPeriod(timezone: timezone, firstDay: start(index, count: count, year: year, month: month, day: anchorDay),
                               lastDay: start(index + 1, count: count, year: year, month: month, day: anchorDay) - 1)
        }
    }

    /// The period that holds `instant`'s local date.
    public func period(containing instant: UTCInstant) -> DatedPeriod? {
        guard let zone = TimeZone(identifier: timezone) else { return nil }
        let civil = BillingPeriod.localCivil(of: instant, in: zone)
        return period(containingDay: UTCInstant.daysFromCivil(year: civil.year, month: civil.month, day: civil.day))
    }

    /// The period after `period`.
    public func period(after period: DatedPeriod) -> DatedPeriod? {
        self.period(containingDay: period.lastDay + 1)
    }

    /// The first day of the `index`th period: the anchor's day of the month, or the month's last day.
    private func start(_ index: Int, count: Int, year: Int, month: Int, day: Int) -> Int {
        let total = year * 12 + (month - 1) + index * count
        let (targetYear, targetMonth) = (total >= 0 ? total / 12 : (total - 11) / 12, ((total % 12) + 12) % 12 + 1)
        let clamped = min(day, UTCInstant.daysInMonth(targetMonth, year: targetYear))
        return UTCInstant.daysFromCivil(year: targetYear, month: targetMonth, day: clamped)
    }
}

extension DatedPeriod {
    /// The local date the period is billed on for a subscription that ends at `endingAt`: the day
    /// after the period, or, when the subscription ends inside it, the day it ends (Lago bills a
    /// termination when it happens).
    public func billingDay(endingAt: UTCInstant?) -> Int {
        guard let end = endingAt, end < to, let zone = TimeZone(identifier: timezone) else { return billingDay }
        let civil = BillingPeriod.localCivil(of: max(end, from), in: zone)
        return UTCInstant.daysFromCivil(year: civil.year, month: civil.month, day: civil.day)
    }
}

/// What an invoice bills of one subscription (Lago's `billing_periods`): the span of its fixed fee
/// and of its charges.
public struct BilledPeriod: Sendable, Equatable {
    public let subscriptionFrom: UTCInstant
    public let subscriptionTo: UTCInstant
    public let chargesFrom: UTCInstant
    public let chargesTo: UTCInstant

    public init(subscriptionFrom: UTCInstant, subscriptionTo: UTCInstant, chargesFrom: UTCInstant, chargesTo: UTCInstant) {
        self.subscriptionFrom = subscriptionFrom
        self.subscriptionTo = subscriptionTo
        self.chargesFrom = chargesFrom
        self.chargesTo = chargesTo
    }
}
