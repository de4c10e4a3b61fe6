/// What a subscription's events of one metric with the same filter values came to in a period:
/// a bucket of the usage rollups as close reads it (`MonthlyUsage` wrote it).
public struct UsageBucket: Sendable {
    public let code: String
    /// The event properties that are filter keys of the metric, canonical text.
    public let filterValues: [String: String]
    /// The sum of the events' units in the period (1 per event for count and unique count).
    public var units: ExactDecimal
    public var eventsCount: Int
    /// Max metrics: the largest value in the period.
    public var max: ExactDecimal?
    /// Latest metrics: the period's latest event.
    public var latest: MonthlyUsage.Latest?
    /// Weighted-sum metrics: Σ value × microseconds from the month's start to the event.
    public var weightedMicros: ExactDecimal?
    /// The bucket's calendar month, in the subscription's timezone: where a weighted sum's
    /// `weightedMicros` count from when a charge's period spans several months; nil: the period's first.
    public var month: CalendarMonth?
    /// Recurring metrics: the units and events of every month before the period.
    public var unitsBefore: ExactDecimal = .zero
    public var eventsBefore: Int = 0
    /// Unique-count metrics, up to the period's end (within the period; since the subscription
    /// began for a recurring metric): how many values found in this bucket only were last added,
    /// and each value also found in another bucket of the metric, with its last operation here.
    public var uniqueAddedAlone = 0
    public var uniqueValues: [String: MonthlyUsage.UniqueState] = [:]

    public init(code: String, filterValues: [String: String], units: ExactDecimal, eventsCount: Int) {
        self.code = code
        self.filterValues = filterValues
        self.units = units
        self.eventsCount = eventsCount
    }
}

/// One event's value, for a charge priced event by event (a percentage with free units or
/// per-transaction limits): close reads these, in time order, only for such charges.
public struct UsageEventValue: Sendable, Equatable {
    public let code: String
    /// The event's properties that are filter keys of the metric, canonical text.
    public let filterValues: [String: String]
    public let units: ExactDecimal

    public init(code: String, filterValues: [String: String], units: ExactDecimal) {
        self.code = code
        self.filterValues = filterValues
        self.units = units
    }
}
