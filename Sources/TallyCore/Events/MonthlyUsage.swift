/// Sums events into the buckets of the monthly usage rollups: per subscription, metric, calendar
/// month in the subscription's billing timezone and the values of the metric's filter keys
/// (`ValidatedEvent.propertiesJSON(only:)`).
///
/// It grows with the buckets (subscriptions × metrics × months × filter values), not with the
/// events, so a whole export can be summed while it streams past.
public struct MonthlyUsage {
    public struct Key: Hashable, Sendable {
        public let subscriptionId: Int64
        public let code: String
        /// The calendar month in the subscription's billing timezone.
        public let month: CalendarMonth
        /// The filter values as a JSON object text.
        public let filterValues: String
    }

    public struct Total: Equatable, Sendable {
        public var units: ExactDecimal
        public var events: Int
    }

    public private(set) var totals: [Key: Total] = [:]
    private let months: [Int64: LocalMonths]

    /// `timezones`: each subscription id's billing timezone (the customer's, else the organization's).
    public init(timezones: [Int64: String]) {
        var shared: [String: LocalMonths] = [:]
        var months: [Int64: LocalMonths] = [:]
        for (subscription, zone) in timezones {
            if shared[zone] == nil { shared[zone] = LocalMonths(timezone: zone) }
            months[subscription] = shared[zone]
        }
        self.months = months
    }

    /// The month of `event`'s usage bucket: the calendar month, in its subscription's billing
    /// timezone, that its timestamp falls in. Nil for a subscription whose timezone is not known
    /// here. Every path that buckets usage (both ingest loads and rollup rebuilds) asks this.
    public func month(of event: ValidatedEvent) -> CalendarMonth? {
        months[event.subscriptionId]?.month(of: event.timestamp)
    }

    /// Adds `event`; false when it cannot be summed here (a subscription without a known timezone,
    /// or units beyond 38 digits), so the caller must sum it another way.
    public mutating func add(_ event: ValidatedEvent, filterValues: String) -> Bool {
        guard let month = month(of: event) else { return false }
        let key = Key(subscriptionId: event.subscriptionId, code: event.code, month: month, filterValues: filterValues)
        if let total = totals[key] {
            guard let units = total.units.adding(event.units) else { return false }
            totals[key] = Total(units: units, events: total.events + 1)
        } else {
            totals[key] = Total(units: event.units, events: 1)
        }
        return true
    }
}

/// The calendar months of one timezone, as `BillingPeriod.containing` finds them, remembered: an
/// instant within a month found before needs no timezone arithmetic.
final class LocalMonths {
    private let timezone: String
    /// Months found so far, by UTC month number (year × 12 + month − 1) of their first instant.
    private var periods: [Int: (from: Int64, to: Int64, month: CalendarMonth)] = [:]
    /// The month found last: exports are mostly one month.
    private var last: (from: Int64, to: Int64, month: CalendarMonth)?

    init(timezone: String) { self.timezone = timezone }

    /// The local month `instant` falls in; nil for an unknown timezone.
    func month(of instant: UTCInstant) -> CalendarMonth? {
        let micros = instant.microsecondsSinceEpoch
        if let last, last.from <= micros, micros <= last.to { return last.month }
        // A local month starts within a day of its UTC month, so a month holding the instant, if
        // already found, is filed under the instant's UTC month or one of its neighbours.
        let utc = instant.civil
        let number = utc.year * 12 + utc.month - 1
        for candidate in [number, number - 1, number + 1] {
            if let month = periods[candidate], month.from <= micros, micros <= month.to {
                last = month
                return month.month
            }
        }
        guard let period = BillingPeriod.containing(instant, timezone: timezone) else { return nil }
        let month = (from: period.from.microsecondsSinceEpoch, to: period.to.microsecondsSinceEpoch, month: period.calendarMonth)
        let start = period.from.civil
        periods[start.year * 12 + start.month - 1] = month
        last = month
        return month.month
    }
}
