import Foundation

/// One period of a plan in the customer's timezone (docs/BILLING.md, billing periods): calendar-aligned
/// months (one month for a monthly plan, or for the charges of a plan that bills them monthly; a
/// quarter, January–March, …; a half-year; a year), or a run of days of its own (`DatedPeriod`: a
/// week, or a period counted from the subscription's anniversary).
public struct PlanPeriod: Sendable, Equatable {
    /// The calendar months, in order, for a calendar-aligned period; empty for a dated one.
    public let months: [BillingPeriod]
    /// Local days in the period: the denominator of a prorated fee, commitment or minimum.
    public let days: Int
    /// Local midnight of the first day, in UTC.
    public let from: UTCInstant
    /// The last microsecond of the last day.
    public let to: UTCInstant
    /// The local date of `from`, as days since 1970-01-01, and the timezone days are counted in.
    private let firstDay: Int
    private let timezone: String

    /// The one month `month`.
    public init(month: BillingPeriod) {
        self.init(months: [month])
    }

    /// The period of `interval` that `month` falls in (calendar-aligned; a weekly plan's periods are
    /// dated, never calendar months: `BillingSchedule`).
    public init(_ interval: PlanInterval, containing month: BillingPeriod) {
        let size = interval.months ?? 1
        var first = month
        for _ in 0..<((month.month - 1) % size) { first = first.previous }
        var months = [first]
        while months.count < size, let last = months.last { months.append(last.next) }
        self.init(months: months)
    }

    private init(months: [BillingPeriod]) {
        self.months = months
        days = months.reduce(0) { $0 + $1.daysInMonth }
        from = months[0].from
        to = months[months.count - 1].to
        firstDay = months[0].localDayNumber(of: months[0].from)
        timezone = months[0].timezone
    }

    /// A dated period.
    public init(dated period: DatedPeriod) {
        months = []
        days = period.days
        from = period.from
        to = period.to
        firstDay = period.firstDay
        timezone = period.timezone
    }

    /// The first calendar month of a calendar-aligned period; nil for a dated one.
    public var first: BillingPeriod? { months.first }
    /// The last calendar month of a calendar-aligned period; nil for a dated one.
    public var last: BillingPeriod? { months.last }

    /// Local days from `from`'s to `to`'s, both counted in full, whatever the hour (Lago's
    /// `date_diff_with_timezone`). Both instants lie in the period.
    public func daysCovered(from: UTCInstant, to: UTCInstant) -> Int {
        guard let zone = TimeZone(identifier: timezone) else { return days }
        func day(_ instant: UTCInstant) -> Int {
            let civil = BillingPeriod.localCivil(of: instant, in: zone)
            return UTCInstant.daysFromCivil(year: civil.year, month: civil.month, day: civil.day)
        }
        return day(to) - day(from) + 1
    }
}

/// How often a plan bills: Lago's intervals.
public enum PlanInterval: String, Codable, Equatable, Sendable, CaseIterable {
    case weekly
    case monthly
    case quarterly
    case semiannual
    case yearly

    /// Calendar months per period; nil for weeks.
    public var months: Int? {
        switch self {
        case .weekly: nil
        case .monthly: 1
        case .quarterly: 3
        case .semiannual: 6
        case .yearly: 12
        }
    }
}

extension BillingPeriod {
    /// The local date of `instant` in the period's timezone, as days since 1970-01-01: what counts
    /// whole local days across months.
    public func localDayNumber(of instant: UTCInstant) -> Int {
        let civil = localCivil(of: instant)
        return UTCInstant.daysFromCivil(year: civil.year, month: civil.month, day: civil.day)
    }
}
