import Testing
@testable import TallyCore

@Suite struct PercentagePricingTests {
    private func percentage(
        rate: String, fixed: String? = nil, freeEvents: Int? = nil, freeTotal: String? = nil,
        min: String? = nil, max: String? = nil
    ) throws -> ChargeProperties {
        .percentage(PercentageProperties(
            rate: try Pricing.decimal(rate), fixedAmount: try fixed.map { try Pricing.decimal($0) },
            freeUnitsPerEvents: freeEvents, freeUnitsPerTotalAggregation: try freeTotal.map { try Pricing.decimal($0) },
            perTransactionMinAmount: try min.map { try Pricing.decimal($0) },
            perTransactionMaxAmount: try max.map { try Pricing.decimal($0) }))
    }

    private var sums: EventValues { .values([ExactDecimal(100), ExactDecimal(200), ExactDecimal(300), ExactDecimal(400)]) }

    @Test func rateOfAllUnits() throws {
        // 1000 × 2.5 % = 25; unit amount 25 ÷ 1000 = 0.025.
        let rated = try Pricing.rate("1000", percentage(rate: "2.5"), events: 4, values: sums)
        #expect(rated.preciseAmount == ExactDecimal(25))
        #expect(rated.preciseUnitAmount == (try Pricing.decimal("0.025")))
        #expect(rated.amountDetails.json == Pricing.json("""
            {"units": "1000", "free_units": "0", "free_events": 0, "paid_units": "1000", "rate": "2.5",
             "per_unit_total_amount": "25", "paid_events": 4, "fixed_fee_unit_amount": "0",
             "fixed_fee_total_amount": "0", "min_max_adjustment_total_amount": "0"}
            """))
    }

    @Test func zeroUnitsCostNothingEvenWithAFixedAmount() throws {
        let rated = try Pricing.rate("0", percentage(rate: "2.5", fixed: "0.3"), events: 0, values: .values([]))
        #expect(rated.preciseAmount == .zero)
        #expect(rated.preciseUnitAmount == .zero)
    }

    @Test func freeEventsTakeTheFirstEventsValues() throws {
        // Running total of the first 2 events: [100, 300] → 300 free units, 2 free events.
        // (1000 − 300) × 2.5 % = 17.5; (4 − 2) × 0.3 = 0.6; 18.1 → 1810 cents.
        let rated = try Pricing.rate("1000", percentage(rate: "2.5", fixed: "0.3", freeEvents: 2), events: 4, values: sums)
        #expect(rated.preciseAmount == (try Pricing.decimal("18.1")))
        #expect(rated.amountCents == 1810)
        #expect(rated.amountDetails.json == Pricing.json("""
            {"units": "1000", "free_units": "300", "free_events": 2, "paid_units": "700", "rate": "2.5",
             "per_unit_total_amount": "17.5", "paid_events": 2, "fixed_fee_unit_amount": "0.3",
             "fixed_fee_total_amount": "0.6", "min_max_adjustment_total_amount": "0"}
            """))
    }

    @Test func freeTotalAggregationCapsTheFreeUnits() throws {
        // Running total until past 250: [100, 300] → free units min(300, 250) = 250; events below 250: 1.
        // (1000 − 250) × 2.5 % = 18.75; (4 − 1) × 0.3 = 0.9; 19.65.
        let rated = try Pricing.rate("1000", percentage(rate: "2.5", fixed: "0.3", freeTotal: "250"), events: 4, values: sums)
        #expect(rated.preciseAmount == (try Pricing.decimal("19.65")))
        #expect(rated.amountDetails.json.objectValue?["free_units"] == .string("250"))
        #expect(rated.amountDetails.json.objectValue?["free_events"] == .number("1"))
        #expect(rated.amountDetails.json.objectValue?["paid_units"] == .string("750"))
        // A cap above the whole usage frees it all: 2000 ≥ 1000; all 4 events below 2000 are free.
        let all = try Pricing.rate("1000", percentage(rate: "2.5", fixed: "0.3", freeTotal: "2000"), events: 4, values: sums)
        #expect(all.preciseAmount == .zero)
    }

    @Test func countedEventsUseOnesAndKeepLagosOrder() throws {
        // 10 events counted: running total 1…10; 3 free events → 3 free units.
        // (10 − 3) × 10 % = 0.7; (10 − 3) × 1 = 7; 7.7.
        let rated = try Pricing.rate("10", percentage(rate: "10", fixed: "1", freeEvents: 3), events: 10, values: .ones(10))
        #expect(rated.preciseAmount == (try Pricing.decimal("7.7")))
        // With both: free units come from the events (3) and ignore the total of 2, as in Lago; free events are
        // the fewer, 1 (one running total below 2). 0.7 + (10 − 1) × 1 = 9.7.
        let both = try Pricing.rate(
            "10", percentage(rate: "10", fixed: "1", freeEvents: 3, freeTotal: "2"), events: 10, values: .ones(10))
        #expect(both.preciseAmount == (try Pricing.decimal("9.7")))
    }

    @Test func withoutEventValuesNothingIsFreeButTheEventCount() throws {
        // No running total: 0 free units; free events 2. 50 × 10 % = 5; (5 − 2) × 1 = 3; 8.
        let rated = try Pricing.rate("50", percentage(rate: "10", fixed: "1", freeEvents: 2), events: 5)
        #expect(rated.preciseAmount == ExactDecimal(8))
    }

    @Test func transactionsAreHeldBetweenMinimumAndMaximum() throws {
        // Each event: 10 × 1 % + 0.1 = 0.2 → min 0.5; 200 → 2.1; 1000 → 10.1 → max 5. 7.6.
        // Without bounds 1210 × 1 % = 12.1 and 3 × 0.1 = 0.3, so the adjustment is 7.6 − 12.4 = −4.8.
        let values = EventValues.values([ExactDecimal(10), ExactDecimal(200), ExactDecimal(1000)])
        let rated = try Pricing.rate(
            "1210", percentage(rate: "1", fixed: "0.1", min: "0.5", max: "5"), events: 3, values: values)
        #expect(rated.preciseAmount == (try Pricing.decimal("7.6")))
        #expect(rated.amountCents == 760)
        #expect(rated.amountDetails.json == Pricing.json("""
            {"units": "1210", "free_units": "0", "free_events": 0, "paid_units": "1210", "rate": "1",
             "per_unit_total_amount": "12.1", "paid_events": 3, "fixed_fee_unit_amount": "0.1",
             "fixed_fee_total_amount": "0.3", "min_max_adjustment_total_amount": "-4.8"}
            """))
    }

    @Test func freeUnitsComeOffTheFirstTransactions() throws {
        // 150 free: event 100 is free (50 left), event 200 pays for 150 → 1.5 + 0.1 = 1.6, event 1000 → max 5. 6.6.
        let values = EventValues.values([ExactDecimal(100), ExactDecimal(200), ExactDecimal(1000)])
        let rated = try Pricing.rate(
            "1300", percentage(rate: "1", fixed: "0.1", freeTotal: "150", min: "0.5", max: "5"), events: 3, values: values)
        #expect(rated.preciseAmount == (try Pricing.decimal("6.6")))
        // Without bounds: (1300 − 150) × 1 % = 11.5 and (3 − 1) × 0.1 = 0.2; 6.6 − 11.7 = −5.1.
        #expect(rated.amountDetails.json.objectValue?["min_max_adjustment_total_amount"] == .string("-5.1"))
    }

    @Test func countedTransactionsWithFreeUnits() throws {
        // 5 ones, 2.5 free units: two events free, the third pays for 0.5 → 0.05 → min 0.2, then 0.1 → 0.2 twice. 0.6.
        let rated = try Pricing.rate("5", percentage(rate: "10", freeTotal: "2.5", min: "0.2"), events: 5, values: .ones(5))
        #expect(rated.preciseAmount == (try Pricing.decimal("0.6")))
        // Without bounds (5 − 2.5) × 10 % = 0.25, so the adjustment is 0.35.
        #expect(rated.amountDetails.json.objectValue?["min_max_adjustment_total_amount"] == .string("0.35"))
    }

    @Test func transactionBoundsNeedEventValues() throws {
        #expect(throws: BillingError.self) { try Pricing.rate("10", percentage(rate: "1", min: "1"), events: 2) }
    }

    @Test func needsEventValuesOnlyForFreeUnitsAndBounds() throws {
        #expect(try !percentage(rate: "1", fixed: "1").needsEventValues)
        #expect(try percentage(rate: "1", freeEvents: 1).needsEventValues)
        #expect(try percentage(rate: "1", freeTotal: "0").needsEventValues)
        #expect(try percentage(rate: "1", max: "1").needsEventValues)
        #expect(!ChargeProperties.standard(StandardProperties(amount: .zero)).needsEventValues)
    }

    /// `.ones(n)` gives what `.values` of n ones gives, when only one kind of free units is set.
    @Test func onesAgreeWithValuesOfOne() throws {
        var random = SeededRandom(seed: 11)
        for _ in 0..<500 {
            let count = Int(random.next() % 12)
            let useEvents = random.next() % 2 == 0
            let properties = try percentage(
                rate: "\(random.next() % 50).5", fixed: random.next() % 2 == 0 ? "0.25" : nil,
                freeEvents: useEvents ? Int(random.next() % 6) + 1 : nil,
                freeTotal: useEvents ? nil : "\(random.next() % 8).\(random.next() % 10)",
                min: random.next() % 2 == 0 ? "0.3" : nil, max: random.next() % 2 == 0 ? "4" : nil)
            let ones = try Pricing.rate("\(count)", properties, events: count, values: .ones(count))
            let values = try Pricing.rate(
                "\(count)", properties, events: count, values: .values(Array(repeating: ExactDecimal(1), count: count)))
            #expect(ones == values, "\(count) events, \(properties)")
        }
    }
}

@Suite struct GraduatedPercentagePricingTests {
    /// [0,100] 1 % + flat 2, [101,1000] 0.5 %, [1001,∞) 0.1 % + flat 1.
    static func ranges() throws -> ChargeProperties {
        .graduatedPercentage([
            try Pricing.percentageRange(0, 100, rate: "1", flat: "2"),
            try Pricing.percentageRange(101, 1000, rate: "0.5", flat: "0"),
            try Pricing.percentageRange(1001, nil, rate: "0.1", flat: "1"),
        ])
    }

    @Test func zeroUnitsBillTheFirstFlatAmount() throws {
        let rated = try Pricing.rate("0", Self.ranges(), events: 0)
        #expect(rated.preciseAmount == ExactDecimal(2))
        #expect(rated.amountDetails.json == Pricing.json("""
            {"graduated_percentage_ranges": [{"from_value": 0, "to_value": 100, "flat_unit_amount": "2", "rate": "1",
              "units": "0", "per_unit_total_amount": "0", "total_with_flat_amount": "2"}]}
            """))
    }

    @Test func boundaryAndOnePast() throws {
        // 100 × 1 % + 2 = 3.
        #expect(try Pricing.rate("100", Self.ranges()).preciseAmount == ExactDecimal(3))
        // 3 + (101 − 101 + 1) × 0.5 % = 3.005 → 301 cents (half-up); unit amount 3.005 ÷ 101 → 0.029752475248.
        let past = try Pricing.rate("101", Self.ranges())
        #expect(past.preciseAmount == (try Pricing.decimal("3.005")))
        #expect(past.amountCents == 301)
        #expect(past.preciseUnitAmount == (try Pricing.decimal("0.029752475248")))
    }

    @Test func decimalUnitsAcrossAllRanges() throws {
        // 3 + (1000 − 101 + 1) × 0.5 % + (1500.5 − 1001 + 1) × 0.1 % + 1 = 3 + 4.5 + 0.5005 + 1 = 9.0005 → 900 cents.
        let rated = try Pricing.rate("1500.5", Self.ranges())
        #expect(rated.preciseAmount == (try Pricing.decimal("9.0005")))
        #expect(rated.amountCents == 900)
        let details = try #require(rated.amountDetails.json.objectValue?["graduated_percentage_ranges"])
        #expect(details == Pricing.json("""
            [{"from_value": 0, "to_value": 100, "flat_unit_amount": "2", "rate": "1",
              "units": "100", "per_unit_total_amount": "1", "total_with_flat_amount": "3"},
             {"from_value": 101, "to_value": 1000, "flat_unit_amount": "0", "rate": "0.5",
              "units": "900", "per_unit_total_amount": "4.5", "total_with_flat_amount": "4.5"},
             {"from_value": 1001, "to_value": null, "flat_unit_amount": "1", "rate": "0.1",
              "units": "500.5", "per_unit_total_amount": "0.5005", "total_with_flat_amount": "1.5005"}]
            """))
    }

    @Test func adjacentRangesCountOneUnitMoreLikeLago() throws {
        // [0,100] 1 %, [100,∞) 0.5 %: range 2 counts 150 − 100 + 1 = 51 units whatever the adjacency.
        // 100 × 1 % + 51 × 0.5 % = 1 + 0.255 = 1.255.
        let adjacent = ChargeProperties.graduatedPercentage([
            try Pricing.percentageRange(0, 100, rate: "1", flat: "0"),
            try Pricing.percentageRange(100, nil, rate: "0.5", flat: "0"),
        ])
        #expect(try Pricing.rate("150", adjacent).preciseAmount == (try Pricing.decimal("1.255")))
    }
}

extension SeededRandom {
    /// A decimal with up to `integerDigits` whole digits and up to `fractionDigits` decimals, ≥ 0.
    mutating func decimal(integerDigits: Int, fractionDigits: Int) -> ExactDecimal {
        let whole = Int128(next() % UInt64(pow10(integerDigits)))
        let scale = Int(next() % UInt64(fractionDigits + 1))
        let fraction = Int128(next() % UInt64(pow10(scale)))
        return ExactDecimal(significand: whole * Int128(pow10(scale)) + fraction, scale: scale)
    }

    private func pow10(_ exponent: Int) -> Int { (0..<exponent).reduce(1) { product, _ in product * 10 } }
}

@Suite struct ChargeRateTests {
    static let october = try! #require(BillingPeriod(year: 2026, month: 10, timezone: "UTC"))

    static func aggregation(_ type: AggregationType) -> UsageAggregation {
        UsageAggregation(metric: BillableMetric(code: "tokens", name: "Tokens", aggregationType: type, fieldName: "tokens"),
                         period: october, from: october.from, to: october.to)
    }

    @Test func freeUnitsPerEventsComeFromTheSlotsEventsInTimeOrder() throws {
        let usage = [UsageBucket(code: "tokens", filterValues: [:], units: ExactDecimal(1000), eventsCount: 3)]
        let events = [100, 300, 600].map { UsageEventValue(code: "tokens", filterValues: [:], units: ExactDecimal($0)) }
            + [UsageEventValue(code: "other", filterValues: [:], units: ExactDecimal(5))]
        let free = Charge(
            billableMetricCode: "tokens", chargeModel: .percentage,
            properties: .percentage(PercentageProperties(rate: ExactDecimal(1), freeUnitsPerEvents: 2)))
        // The first two events (100 + 300) are free: (1000 − 400) × 1 % = 6.00 → 600 cents.
        #expect(try free.rate(usage, aggregation: Self.aggregation(.sumAgg), events: events, currency: "USD").slots.map(\.amountCents) == [600])
        // A count metric's events are worth 1 each: 3 events, 2 free, 1 × 1 % = 0.01 → 1 cent.
        let counted = [UsageBucket(code: "tokens", filterValues: [:], units: ExactDecimal(3), eventsCount: 3)]
        #expect(try free.rate(counted, aggregation: Self.aggregation(.countAgg), currency: "USD").slots.map(\.amountCents) == [1])
        // 1000 × 2 % + 3 × 0.5 = 21.50 → 2150 cents.
        let plain = Charge(
            billableMetricCode: "tokens", chargeModel: .percentage,
            properties: .percentage(PercentageProperties(rate: ExactDecimal(2), fixedAmount: try Pricing.decimal("0.5"))))
        #expect(try plain.rate(usage, aggregation: Self.aggregation(.sumAgg), currency: "USD").slots.map(\.amountCents) == [2150])
    }
}
