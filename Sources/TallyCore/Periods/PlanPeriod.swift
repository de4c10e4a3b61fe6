/// The months a plan bills at once, calendar-aligned in the customer's timezone (docs/BILLING.md,
/// plan intervals): one month for a monthly plan, or for the charges of a plan that bills them
/// monthly; a quarter (January–March, …), a half-year (January–June, July–December) or a year.
public struct PlanPeriod: Sendable, Equatable {
    /// The calendar months, in order; at least one.
    public let months: [BillingPeriod]
    /// Days in all the months: the denominator of a prorated fee, commitment or minimum.
    public let days: Int

    /// The one month `month`.
    public init(month: BillingPeriod) {
        months = [month]
        days = month.daysInMonth
    }

    /// The period of `interval` that `month` falls in.
    public init(_ interval: PlanInterval, containing month: BillingPeriod) {
        let size = interval.months
        var first = month
        for _ in 0..<((month.month - 1) % size) { first = first.previous }
        var months = [first]
        while months.count < size, let last = months.last { months.append(last.next) }
        self.months = months
        days = months.reduce(0) { $0 + $1.daysInMonth }
    }

    public var first: BillingPeriod { months[0] }
    public var last: BillingPeriod { months[months.count - 1] }
    /// Local midnight of the first day, in UTC.
    public var from: UTCInstant { first.from }
    /// The last microsecond of the last day.
    public var to: UTCInstant { last.to }

    /// Local days from `from`'s to `to`'s, both counted in full, whatever the hour (Lago's
    /// `date_diff_with_timezone`). Both instants lie in the period.
    public func daysCovered(from: UTCInstant, to: UTCInstant) -> Int {
        first.localDayNumber(of: to) - first.localDayNumber(of: from) + 1
    }
}

/// How often a plan bills: Lago's intervals, calendar-aligned. Lago's `weekly` is not supported yet
/// (docs/BILLING.md says why).
public enum PlanInterval: String, Codable, Equatable, Sendable, CaseIterable {
    case monthly
    case quarterly
    case semiannual
    case yearly

    /// Calendar months per period.
    public var months: Int {
        switch self {
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
