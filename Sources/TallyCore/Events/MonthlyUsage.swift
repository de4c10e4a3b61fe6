/// Sums events into the buckets of the monthly usage rollups: per subscription, metric, calendar
/// month in the subscription's billing timezone (named by its first day, `2026-10-01`) and the
/// values of the metric's filter keys (`ValidatedEvent.propertiesJSON(only:)`).
///
/// It grows with the buckets (subscriptions × metrics × months × filter values), not with the
/// events, so a whole export can be summed while it streams past.
public struct MonthlyUsage {
    public struct Key: Hashable, Sendable {
        public let subscriptionId: Int64
        public let code: String
        /// The month's first day, `YYYY-MM-01`.
        public let month: String
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

    /// Adds `event`; false when it cannot be summed here (a subscription without a known timezone,
    /// or units beyond 38 digits), so the caller must sum it another way.
    public mutating func add(_ event: ValidatedEvent, filterValues: String) -> Bool {
        guard let month = months[event.subscriptionId]?.label(of: event.timestamp) else { return false }
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

/// The calendar months of one timezone as UTC instants, computed once per month and cached: an
/// instant's local month is its UTC month or a neighbour (offsets are under a day).
final class LocalMonths {
    private let timezone: String
    /// Month number (year × 12 + month − 1) → its first local instant, in microseconds since the epoch.
    private var starts: [Int: Int64] = [:]
    /// The month found last, as [from, until) in microseconds: exports are mostly one month.
    private var last: (from: Int64, until: Int64, label: String)?

    init(timezone: String) { self.timezone = timezone }

    /// `YYYY-MM-01` of the local month `instant` falls in; nil for an unknown timezone.
    func label(of instant: UTCInstant) -> String? {
        let micros = instant.microsecondsSinceEpoch
        if let last, last.from <= micros, micros < last.until { return last.label }
        let utc = instant.civil
        var number = utc.year * 12 + utc.month - 1
        guard let start = firstInstant(ofMonth: number), let next = firstInstant(ofMonth: number + 1) else { return nil }
        if micros < start { number -= 1 } else if micros >= next { number += 1 }
        guard let from = firstInstant(ofMonth: number), let until = firstInstant(ofMonth: number + 1) else { return nil }
        let year = number / 12, month = number % 12 + 1
        let label = String(year).leftPadded(to: 4) + "-" + String(month).leftPadded(to: 2) + "-01"
        last = (from, until, label)
        return label
    }

    private func firstInstant(ofMonth number: Int) -> Int64? {
        if let start = starts[number] { return start }
        guard let period = BillingPeriod(year: number / 12, month: number % 12 + 1, timezone: timezone) else { return nil }
        starts[number] = period.from.microsecondsSinceEpoch
        return period.from.microsecondsSinceEpoch
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
