/// Aggregates events into the buckets of the monthly usage rollups: per subscription, metric,
/// calendar month in the subscription's billing timezone and the values of the metric's filter keys
/// (`ValidatedEvent.propertiesJSON(only:)`). Each bucket keeps what its metric's aggregation needs
/// to be rated without reading the events again (docs/BILLING.md, aggregations): the sum and the
/// count always, the maximum, the latest value, the time-weighted sum or the distinct values when
/// the metric aggregates so.
///
/// It grows with the buckets (subscriptions × metrics × months × filter values, and the distinct
/// values of unique-count metrics), not with the events, so a whole export can be aggregated while
/// it streams past.
public struct MonthlyUsage {
    public struct Key: Hashable, Sendable {
        public let subscriptionId: Int64
        public let code: String
        /// The calendar month in the subscription's billing timezone.
        public let month: CalendarMonth
        /// The filter values as a JSON object text.
        public let filterValues: String
    }

    /// Where an event stands in the order of arrival: its ingest, then its line. Of two events
    /// with the same timestamp, the one that arrived later is the later (Lago orders by creation).
    public static func arrival(ingestId: Int64, line: Int) -> Int64 {
        let (shifted, overflow) = ingestId.multipliedReportingOverflow(by: 1 << 40)
        guard !overflow, ingestId >= 0, line >= 0, line < 1 << 40 else { return Int64.max }
        return shifted | Int64(line)
    }

    /// A value and when it was sent: the latest event of a bucket.
    public struct Latest: Equatable, Sendable {
        public var at: UTCInstant
        public var arrival: Int64
        public var value: ExactDecimal

        public init(at: UTCInstant, arrival: Int64, value: ExactDecimal) {
            self.at = at
            self.arrival = arrival
            self.value = value
        }

        /// Whether this was sent after `other`: a later timestamp, or the same one and a later arrival.
        public func isLater(than other: Latest) -> Bool {
            at != other.at ? at > other.at : arrival > other.arrival
        }
    }

    public struct Total: Equatable, Sendable {
        /// The sum of the events' units (1 per event for count and unique count).
        public var units: ExactDecimal
        public var events: Int
        /// Max metrics: the largest value.
        public var max: ExactDecimal?
        /// Latest metrics: the latest event's value.
        public var latest: Latest?
        /// Weighted-sum metrics: Σ value × microseconds from the month's start to the event.
        public var weightedMicros: ExactDecimal?
    }

    /// A distinct value of a unique-count bucket and the last operation on it.
    public struct UniqueKey: Hashable, Sendable {
        public let bucket: Key
        public let value: String
    }

    public struct UniqueState: Equatable, Sendable {
        public var last: Latest
        /// Whether the last operation added the value (false: removed it).
        public var added: Bool

        public init(last: Latest, added: Bool) {
            self.last = last
            self.added = added
        }
    }

    public private(set) var totals: [Key: Total] = [:]
    public private(set) var uniques: [UniqueKey: UniqueState] = [:]
    private let months: [Int64: LocalMonths]
    private let metrics: [String: IngestCatalog.Metric]
    private let uniqueValueLimit: Int

    /// `timezones`: each subscription id's billing timezone (the customer's, else the
    /// organization's); `metrics`: the metrics by code, for their aggregations;
    /// `uniqueValueLimit`: how many distinct unique-count values it may keep before `add` refuses.
    public init(timezones: [Int64: String], metrics: [String: IngestCatalog.Metric], uniqueValueLimit: Int = .max) {
        self.uniqueValueLimit = uniqueValueLimit
        var shared: [String: LocalMonths] = [:]
        var months: [Int64: LocalMonths] = [:]
        for (subscription, zone) in timezones {
            if shared[zone] == nil { shared[zone] = LocalMonths(timezone: zone) }
            months[subscription] = shared[zone]
        }
        self.months = months
        self.metrics = metrics
    }

    /// The month of `event`'s usage bucket: the calendar month, in its subscription's billing
    /// timezone, that its timestamp falls in. Nil for a subscription whose timezone is not known
    /// here. Every path that buckets usage (both ingest loads and rollup rebuilds) asks this.
    public func month(of event: ValidatedEvent) -> CalendarMonth? {
        months[event.subscriptionId]?.month(of: event.timestamp)?.month
    }

    /// Microseconds from the start of `event`'s month to the event: what weighs its value in a
    /// weighted sum. Nil when `month(of:)` is.
    public func microsecondsIntoMonth(of event: ValidatedEvent) -> Int64? {
        months[event.subscriptionId]?.month(of: event.timestamp).map { event.timestamp.microsecondsSinceEpoch - $0.from }
    }

    /// Adds `event`, which arrived at `arrival` (`MonthlyUsage.arrival`); false when it cannot be
    /// aggregated here (a subscription without a known timezone, a figure beyond 38 digits, or a
    /// distinct value beyond `uniqueValueLimit`), so the caller must aggregate it another way.
    public mutating func add(_ event: ValidatedEvent, filterValues: String, arrival: Int64) -> Bool {
        guard let local = months[event.subscriptionId]?.month(of: event.timestamp) else { return false }
        let key = Key(subscriptionId: event.subscriptionId, code: event.code, month: local.month, filterValues: filterValues)
        let metric = metrics[event.code]
        var total = totals[key] ?? Total(units: .zero, events: 0)
        guard let units = total.units.adding(event.units) else { return false }
        total.units = units
        total.events += 1
        switch metric?.aggregation ?? .sumAgg {
        case .countAgg, .sumAgg: break
        case .maxAgg: total.max = total.max.map { Swift.max($0, event.units) } ?? event.units
        case .latestAgg:
            let latest = Latest(at: event.timestamp, arrival: arrival, value: event.units)
            if total.latest.map({ latest.isLater(than: $0) }) ?? true { total.latest = latest }
        case .weightedSumAgg:
            let micros = ExactDecimal(significand: Int128(event.timestamp.microsecondsSinceEpoch - local.from), scale: 0)
            guard let weighted = event.units.multiplied(by: micros),
                  let sum = (total.weightedMicros ?? .zero).adding(weighted)
            else { return false }
            total.weightedMicros = sum
        case .uniqueCountAgg:
            if let unique = metric?.uniqueValue(of: event) {
                let uniqueKey = UniqueKey(bucket: key, value: unique.value)
                let known = uniques[uniqueKey]
                if known == nil, uniques.count >= uniqueValueLimit { return false }
                let latest = Latest(at: event.timestamp, arrival: arrival, value: .zero)
                if known.map({ latest.isLater(than: $0.last) }) ?? true {
                    uniques[uniqueKey] = UniqueState(last: latest, added: unique.adds)
                }
            }
        }
        totals[key] = total
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

    /// The local month `instant` falls in, with its bounds in microseconds; nil for an unknown timezone.
    func month(of instant: UTCInstant) -> (from: Int64, to: Int64, month: CalendarMonth)? {
        let micros = instant.microsecondsSinceEpoch
        if let last, last.from <= micros, micros <= last.to { return last }
        // A local month starts within a day of its UTC month, so a month holding the instant, if
        // already found, is filed under the instant's UTC month or one of its neighbours.
        let utc = instant.civil
        let number = utc.year * 12 + utc.month - 1
        for candidate in [number, number - 1, number + 1] {
            if let month = periods[candidate], month.from <= micros, micros <= month.to {
                last = month
                return month
            }
        }
        guard let period = BillingPeriod.containing(instant, timezone: timezone) else { return nil }
        let month = (from: period.from.microsecondsSinceEpoch, to: period.to.microsecondsSinceEpoch, month: period.calendarMonth)
        let start = period.from.civil
        periods[start.year * 12 + start.month - 1] = month
        last = month
        return month
    }
}
