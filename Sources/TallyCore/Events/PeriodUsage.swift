/// One subscription's usage in one dated period (a week, an anniversary period), aggregated from
/// its stored events when the period is closed: the monthly rollups cannot serve a period that does
/// not start on the 1st. The buckets are those the rollups give a calendar month (`UsageBucket`),
/// built by the rules `MonthlyUsage` follows, so a charge rates them the same way.
///
/// It grows with the buckets (metrics × filter values) and the distinct values of unique-count
/// metrics, not with the events.
public struct PeriodUsage {
    /// The period's first instant: events from it on are the period's usage, and a weighted sum's
    /// values are held from it (`UsageBucket.weightedMicros`).
    public let from: UTCInstant
    private var buckets: [String: UsageBucket] = [:]
    private var order: [String] = []

    public init(from: UTCInstant) {
        self.from = from
    }

    /// Adds `event` of `metric`, which arrived at `arrival` (`MonthlyUsage.arrival`). An event
    /// before `from` counts only for a recurring metric (`recurring`), in what earlier periods carry
    /// over: its units (`unitsBefore`) and its unique value's last operation. Throws when a figure
    /// exceeds 38 digits.
    public mutating func add(
        _ event: ValidatedEvent, metric: IngestCatalog.Metric, recurring: Bool, arrival: Int64
    ) throws(BillingError) {
        let before = event.timestamp < from
        guard !before || recurring else { return }
        let key = event.code + "\u{0}" + event.propertiesJSON(only: metric.filterValues)
        var bucket = buckets[key] ?? {
            order.append(key)
            var values: [String: String] = [:]
            for property in event.properties where metric.filterValues[property.key] != nil { values[property.key] = property.value }
            return UsageBucket(code: event.code, filterValues: values, units: .zero, eventsCount: 0)
        }()
        let tooLarge = BillingError.tooLarge("the usage of metric \(event.code) in the period")
        if let unique = metric.uniqueValue(of: event) {
            let latest = MonthlyUsage.Latest(at: event.timestamp, arrival: arrival, value: .zero)
            if bucket.uniqueValues[unique.value].map({ latest.isLater(than: $0.last) }) ?? true {
                bucket.uniqueValues[unique.value] = MonthlyUsage.UniqueState(last: latest, added: unique.adds)
            }
        }
        if before {
            guard let units = bucket.unitsBefore.adding(event.units) else { throw tooLarge }
            bucket.unitsBefore = units
            bucket.eventsBefore += 1
            buckets[key] = bucket
            return
        }
        guard let units = bucket.units.adding(event.units) else { throw tooLarge }
        bucket.units = units
        bucket.eventsCount += 1
        switch metric.aggregation {
        case .countAgg, .sumAgg, .uniqueCountAgg: break
        case .maxAgg: bucket.max = bucket.max.map { Swift.max($0, event.units) } ?? event.units
        case .latestAgg:
            let latest = MonthlyUsage.Latest(at: event.timestamp, arrival: arrival, value: event.units)
            if bucket.latest.map({ latest.isLater(than: $0) }) ?? true { bucket.latest = latest }
        case .weightedSumAgg:
            let micros = ExactDecimal(significand: Int128(event.timestamp.microsecondsSinceEpoch - from.microsecondsSinceEpoch), scale: 0)
            guard let weighted = event.units.multiplied(by: micros), let sum = (bucket.weightedMicros ?? .zero).adding(weighted) else {
                throw tooLarge
            }
            bucket.weightedMicros = sum
        }
        buckets[key] = bucket
    }

    /// The buckets, in the order their first event came.
    public var usage: [UsageBucket] { order.compactMap { buckets[$0] } }
}
