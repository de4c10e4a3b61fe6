import Testing
@testable import TallyCore

/// `PeriodUsage`: a dated period's usage aggregated from its events, by the rollups' rules, then
/// rated by `UsageAggregation` over the period (docs/BILLING.md, weekly plans and anniversary
/// billing). Figures computed by hand.
@Suite struct PeriodUsageTests {
    /// The week of Monday 2026-10-26 in UTC.
    private let week = PlanPeriod(dated: DatedPeriod(timezone: "UTC", firstDay: UTCInstant.daysFromCivil(year: 2026, month: 10, day: 26),
                                                     lastDay: UTCInstant.daysFromCivil(year: 2026, month: 11, day: 1))!)

    private func event(_ id: String, day: Int, hour: Int = 0, units: String, properties: [(String, String)] = []) -> ValidatedEvent {
        let at = UTCInstant(year: 2026, month: 10, day: day, hour: hour)!
        return ValidatedEvent(subscriptionId: 1, transactionId: id, code: "m", timestamp: at,
                              properties: properties.map { (key: $0.0, value: $0.1) }.sorted { $0.key < $1.key },
                              units: ExactDecimal(decimalString: units)!)
    }

    /// `events` (in arrival order) aggregated by a metric of `type`, as close rates a dated period.
    private func aggregate(
        _ type: AggregationType, recurring: Bool = false, filterKeys: Set<String> = [], _ events: [ValidatedEvent]
    ) throws -> (units: ExactDecimal, eventsCount: Int, buckets: Int) {
        let metric = IngestCatalog.Metric(code: "m", aggregation: type, fieldName: type == .countAgg ? nil : "v",
                                          filterValues: Dictionary(uniqueKeysWithValues: filterKeys.map { ($0, Set<String>()) }))
        var usage = PeriodUsage(from: week.from)
        for (index, event) in events.enumerated() {
            try usage.add(event, metric: metric, recurring: recurring, arrival: Int64(index))
        }
        let definition = BillableMetric(code: "m", name: "M", aggregationType: type, fieldName: metric.fieldName, recurring: recurring)
        let (units, count) = try UsageAggregation(metric: definition, period: week, from: week.from, to: week.to).aggregate(usage.usage)
        return (units, count, usage.usage.count)
    }

    @Test func sumsMaximaAndLatestValuesCountOnlyThePeriodsEvents() throws {
        let events = [
            event("before", day: 25, hour: 23, units: "100"),
            event("a", day: 26, units: "5", properties: [("region", "eu")]),
            event("b", day: 28, units: "7", properties: [("region", "us")]),
            event("c", day: 28, units: "2", properties: [("region", "eu")]),
        ]
        #expect(try aggregate(.sumAgg, filterKeys: ["region"], events) == (ExactDecimal(14), 3, 2))
        #expect(try aggregate(.maxAgg, events).units == ExactDecimal(7))
        // Of two events at the same instant, the later arrival is the latest.
        #expect(try aggregate(.latestAgg, events).units == ExactDecimal(2))
        #expect(try aggregate(.countAgg, events).units == ExactDecimal(3))
        // A recurring sum carries what came before the period.
        #expect(try aggregate(.sumAgg, recurring: true, events).units == ExactDecimal(114))
    }

    @Test func uniqueValuesCountTheirLastOperation() throws {
        let events = [
            event("before", day: 24, units: "1", properties: [("v", "old")]),
            event("a", day: 26, units: "1", properties: [("v", "x")]),
            event("b", day: 27, units: "1", properties: [("v", "y")]),
            event("c", day: 29, units: "1", properties: [("v", "x"), ("operation_type", "remove")]),
            event("d", day: 30, units: "1", properties: [("v", "y")]),
        ]
        // x removed, y counted once.
        #expect(try aggregate(.uniqueCountAgg, events).units == ExactDecimal(1))
        // A recurring metric counts the value added before the period too.
        #expect(try aggregate(.uniqueCountAgg, recurring: true, events).units == ExactDecimal(2))
    }

    @Test func aWeightedSumHoldsEachValueFromItsEventToThePeriodsEnd() throws {
        // 10 from Tuesday (6 of 7 days), −4 from Thursday (4 days): (60 − 16) ÷ 7 = 6.285714…,
        // rounded up at 20 decimals.
        let events = [event("a", day: 27, units: "10"), event("b", day: 29, units: "-4")]
        #expect(try aggregate(.weightedSumAgg, events).units == ExactDecimal(decimalString: "6.28571428571428571429"))
        // Recurring: 3 held over the whole week as well: 6.285714… + 3.
        let carried = [event("before", day: 20, units: "3")] + events
        #expect(try aggregate(.weightedSumAgg, recurring: true, carried).units == ExactDecimal(decimalString: "9.28571428571428571429"))
    }
}
