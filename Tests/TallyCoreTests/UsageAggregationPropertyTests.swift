import Testing
@testable import TallyCore

/// Relations the per-slot aggregation keeps on seeded random usage (see `SeededRandom`): filters
/// partition a charge's usage, and the whole charge's figure is what its slots' figures make.
@Suite struct UsageAggregationPropertyTests {
    private static let cases = 500
    static let october = BillingPeriod(year: 2026, month: 10, timezone: "UTC")

    /// Up to 8 buckets over two filter keys, each with some units, events and a maximum.
    private func buckets(_ random: inout SeededRandom) -> [UsageBucket] {
        let models = ["small", "large"], types = ["input", "output"]
        return (0..<Int(random.next() % 8)).map { _ in
            var values: [String: String] = [:]
            if random.next() % 4 != 0 { values["model"] = models[Int(random.next() % 2)] }
            if random.next() % 4 != 0 { values["type"] = types[Int(random.next() % 2)] }
            let units = random.decimal(integerDigits: 6, fractionDigits: 3)
            var bucket = UsageBucket(code: "tokens", filterValues: values, units: units, eventsCount: 1 + Int(random.next() % 50))
            bucket.max = units
            return bucket
        }
    }

    private func charge(_ random: inout SeededRandom) -> Charge {
        let price = ChargeProperties.standard(StandardProperties(amount: ExactDecimal(1)))
        let candidates = [
            [FilterCondition(key: "model", values: ["small"])],
            [FilterCondition(key: "model", values: ["small"]), FilterCondition(key: "type", values: ["input"])],
            [FilterCondition(key: "type", values: ["output"])],
            [FilterCondition(key: "model", values: ["large", "small"])],
        ]
        let filters = candidates.filter { _ in random.next() % 2 == 0 }.map { ChargeFilter(properties: price, values: $0) }
        return Charge(billableMetricCode: "tokens", chargeModel: .standard, properties: price, filters: filters)
    }

    private func aggregation(_ type: AggregationType) throws -> UsageAggregation {
        let period = try #require(Self.october)
        return UsageAggregation(metric: BillableMetric(code: "tokens", name: "Tokens", aggregationType: type, fieldName: "tokens"),
                                period: period, from: period.from, to: period.to)
    }

    @Test func filterSlotsPartitionAChargesSumAndCount() throws {
        var random = SeededRandom(seed: 41)
        for _ in 0..<Self.cases {
            let usage = buckets(&random), charge = charge(&random)
            let slots = try charge.rate(usage, aggregation: aggregation(.sumAgg), currency: "USD").slots
            let total = try aggregation(.sumAgg).aggregate(usage)
            var units = ExactDecimal.zero
            for slot in slots { units = try #require(units.adding(slot.units)) }
            #expect(units == total.units, "\(usage.count) buckets, \(charge.filters.count) filters")
            #expect(slots.map(\.eventsCount).reduce(0, +) == total.eventsCount)
            #expect(slots.count == charge.filters.count + 1)
        }
    }

    @Test func theChargesMaximumIsItsLargestSlotMaximum() throws {
        var random = SeededRandom(seed: 42)
        for _ in 0..<Self.cases {
            let usage = buckets(&random), charge = charge(&random)
            let slots = try charge.rate(usage, aggregation: aggregation(.maxAgg), currency: "USD").slots
            #expect(slots.map(\.units).max() == (try aggregation(.maxAgg).aggregate(usage)).units)
        }
    }

    /// What `tally usage` shows for a charge (`ChargeUsage`) is what close bills for it
    /// (`SubscriptionRating.fees`), slot by slot, whatever the aggregation.
    @Test(arguments: AggregationType.allCases)
    func usageAndCloseAgree(type: AggregationType) throws {
        var random = SeededRandom(seed: 43)
        let period = try #require(Self.october)
        for _ in 0..<100 {
            var usage = buckets(&random)
            for index in usage.indices {
                usage[index].latest = MonthlyUsage.Latest(
                    at: UTCInstant(microsecondsSinceEpoch: period.from.microsecondsSinceEpoch + Int64(random.next() % 1_000_000_000)),
                    arrival: Int64(index), value: usage[index].units)
                usage[index].weightedMicros = try #require(usage[index].units.multiplied(by: ExactDecimal(Int(random.next() % 1_000_000))))
                usage[index].uniqueValues = ["u\(random.next() % 5)": MonthlyUsage.UniqueState(
                    last: MonthlyUsage.Latest(at: period.from, arrival: Int64(index), value: .zero), added: random.next() % 3 != 0)]
            }
            let charge = charge(&random)
            let metric = BillableMetric(code: "tokens", name: "Tokens", aggregationType: type, fieldName: type == .countAgg ? nil : "tokens")
            let plan = Plan(code: "p", name: "P", amountCents: 0, currency: "USD", charges: [charge])
            let closed = try #require(try SubscriptionRating.fees(
                subscription: Subscription(externalId: "s", externalCustomerId: "c", planCode: "p"), plan: plan,
                startedAt: period.from, endingAt: nil, period: period, usage: usage, metrics: ["tokens": metric])).fees
            let shown = try ChargeUsage(
                charge: charge, usage: usage, aggregation: aggregation(type), currency: "USD", externalSubscriptionId: "s",
                chargeLagoId: "c", metric: ChargeUsage.Metric(lagoId: "m", name: "Tokens", code: "tokens", aggregationType: type.rawValue))
            #expect(shown.amountCents == closed.map(\.amountCents).reduce(0, +), "\(type): \(usage.count) buckets")
            let billed = shown.buckets.filter { $0.units != .zero || $0.amountCents != 0 || $0.eventsCount != 0 }
            #expect(billed.map(\.amountCents) == closed.map(\.amountCents))
        }
    }
}
