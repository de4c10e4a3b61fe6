/// Turns the usage buckets that fall into one charge slot (a filter, or the default) into the
/// figures the charge model prices: Lago's aggregation result and event count (docs/BILLING.md,
/// aggregations). It reads only what the rollups kept, never the events.
public struct UsageAggregation: Sendable {
    public let metric: BillableMetric
    /// The charges' period: a calendar month in the billing timezone, the plan's quarter, half-year
    /// or year, or a dated period (a week, an anniversary period).
    public let period: PlanPeriod
    /// The part of it the subscription is live: its charges' boundaries.
    public let from: UTCInstant
    public let to: UTCInstant

    public init(metric: BillableMetric, period: PlanPeriod, from: UTCInstant, to: UTCInstant) {
        self.metric = metric
        self.period = period
        self.from = from
        self.to = to
    }

    /// The aggregation of one month's charges.
    public init(metric: BillableMetric, period: BillingPeriod, from: UTCInstant, to: UTCInstant) {
        self.metric = metric
        self.period = PlanPeriod(month: period)
        self.from = from
        self.to = to
    }

    /// The digits a weighted sum keeps: Lago rounds it up at 20 decimals.
    public static let weightedSumScale = 20

    /// The aggregated units and Lago's event count of `buckets` (all of this metric and slot), the
    /// units rounded as the metric says (`BillableMetric.rounding`).
    public func aggregate(_ buckets: [UsageBucket]) throws(BillingError) -> (units: ExactDecimal, eventsCount: Int) {
        let (units, count) = try aggregated(buckets)
        guard let rounding = metric.rounding else { return (units, count) }
        guard let rounded = rounding.apply(to: units) else { throw .tooLarge("the rounded units of metric \(metric.code)") }
        return (rounded, count)
    }

    private func aggregated(_ buckets: [UsageBucket]) throws(BillingError) -> (units: ExactDecimal, eventsCount: Int) {
        let code = metric.code
        var events = 0
        for bucket in buckets {
            let (sum, overflow) = events.addingReportingOverflow(bucket.eventsCount)
            guard !overflow else { throw .tooLarge("the events of metric \(code)") }
            events = sum
        }
        switch metric.aggregationType {
        case .countAgg:
            return (ExactDecimal(events), events)
        case .sumAgg:
            var units = ExactDecimal.zero
            var count = events
            for bucket in buckets {
                guard let sum = units.adding(bucket.units) else { throw .tooLarge("the units of metric \(code)") }
                units = sum
                if metric.recurring {
                    guard let carried = units.adding(bucket.unitsBefore) else { throw .tooLarge("the units of metric \(code)") }
                    units = carried
                    let (total, overflow) = count.addingReportingOverflow(bucket.eventsBefore)
                    guard !overflow else { throw .tooLarge("the events of metric \(code)") }
                    count = total
                }
            }
            return (units, count)
        case .maxAgg:
            let max = buckets.compactMap(\.max).max() ?? .zero
            return (max, events)
        case .latestAgg:
            var latest: MonthlyUsage.Latest?
            for candidate in buckets.compactMap(\.latest) where latest.map({ candidate.isLater(than: $0) }) ?? true {
                latest = candidate
            }
            // Lago bills a negative latest value as 0.
            return (Swift.max(latest?.value ?? .zero, .zero), events)
        case .uniqueCountAgg:
            var states: [String: MonthlyUsage.UniqueState] = [:]
            for bucket in buckets {
                for (value, state) in bucket.uniqueValues where states[value].map({ state.last.isLater(than: $0.last) }) ?? true {
                    states[value] = state
                }
            }
            var count = states.values.filter(\.added).count
            for bucket in buckets {
                let (sum, overflow) = count.addingReportingOverflow(bucket.uniqueAddedAlone)
                guard !overflow else { throw .tooLarge("the distinct values of metric \(code)") }
                count = sum
            }
            // Lago reports the distinct count as the event count too.
            return (ExactDecimal(count), count)
        case .weightedSumAgg:
            return (try weightedSum(buckets), events)
        }
    }

    /// Lago's time-weighted sum: the running total of the values (starting from what earlier
    /// periods carried, for a recurring metric) held over each stretch of the period, weighted by
    /// the stretch's share of the period's full length in seconds, rounded up at 20 decimals:
    ///
    /// `(initial × (T − from) + Σ value × (T − timestamp)) ÷ (days in the period × 86,400 s)`
    ///
    /// where T is the end of the charges' period rounded up to the second. The buckets keep
    /// `S0 = Σ value` and `S1 = Σ value × (timestamp − month start)` (the period's start for the
    /// buckets of a dated period), so `Σ value × (T − timestamp) = Σ over buckets of S0 × (T − month start) − S1`.
    private func weightedSum(_ buckets: [UsageBucket]) throws(BillingError) -> ExactDecimal {
        let code = metric.code
        let second: Int64 = 1_000_000
        let toMicros = to.microsecondsSinceEpoch
        let end = toMicros % second == 0 ? toMicros : (toMicros / second + 1) * second
        let micros = { (value: Int64) in ExactDecimal(significand: Int128(value), scale: 0) }
        var sinceEvents = ExactDecimal.zero, initial = ExactDecimal.zero
        for bucket in buckets {
            let origin = (bucket.month.flatMap { month in period.months.first { $0.calendarMonth == month }?.from } ?? period.from)
                .microsecondsSinceEpoch
            guard let held = bucket.units.multiplied(by: micros(end - origin)),
                  let contribution = held.subtracting(bucket.weightedMicros ?? .zero),
                  let sum = sinceEvents.adding(contribution),
                  let carried = initial.adding(metric.recurring ? bucket.unitsBefore : .zero)
            else { throw .tooLarge("the weighted sum of metric \(code)") }
            sinceEvents = sum
            initial = carried
        }
        let fullPeriod = ExactDecimal(significand: Int128(period.days) * 86_400 * Int128(second), scale: 0)
        guard let carried = initial.multiplied(by: micros(end - from.microsecondsSinceEpoch)),
              let numerator = carried.adding(sinceEvents),
              let result = numerator.divided(by: fullPeriod, scale: Self.weightedSumScale, .up)
        else { throw .tooLarge("the weighted sum of metric \(code)") }
        return result
    }
}
