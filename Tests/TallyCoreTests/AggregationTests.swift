import Testing
@testable import TallyCore

/// docs/BILLING.md, aggregations: each metric's decoding rules and what `UsageAggregation` makes
/// of a slot's buckets, computed by hand.
@Suite struct AggregationTests {
    let spec = CatalogFixtures.json(CatalogFixtures.specExample)

    private func metric(_ field: String, _ value: JSONValue) -> JSONValue {
        spec.setting("billable_metrics[0].\(field)", to: value)
    }

    // MARK: Decoding

    @Test func countAggNeedsNoFieldAndDropsOne() throws {
        let counted = metric("aggregation_type", "count_agg")
        let catalog = try #require(CatalogFixtures.decode(counted))
        #expect(catalog.billableMetrics[0].aggregationType == .countAgg)
        #expect(catalog.billableMetrics[0].fieldName == nil, "Lago drops a count's field_name")
        let withoutField = try #require(CatalogFixtures.decode(counted.setting("billable_metrics[0].field_name", to: .null)))
        #expect(withoutField.billableMetrics[0].fieldName == nil)
        #expect(CatalogFixtures.errors(in: metric("aggregation_type", "max_agg").setting("billable_metrics[0].field_name", to: .null))
            == ["billable_metrics[0].field_name: is required"])
    }

    @Test(arguments: [
        ("sum_agg", true), ("unique_count_agg", true), ("weighted_sum_agg", true),
        ("count_agg", false), ("max_agg", false), ("latest_agg", false),
    ])
    func recurringIsWhereLagoAllowsIt(aggregation: String, allowed: Bool) {
        var document = metric("aggregation_type", .string(aggregation)).setting("billable_metrics[0].recurring", to: true)
        if aggregation == "weighted_sum_agg" { document = document.setting("billable_metrics[0].weighted_interval", to: "seconds") }
        if allowed {
            #expect(CatalogFixtures.decode(document)?.billableMetrics[0].recurring == true)
        } else {
            #expect(CatalogFixtures.errors(in: document) == [
                "billable_metrics[0].recurring: must be false for \(aggregation) (recurring: sum_agg, unique_count_agg, weighted_sum_agg)",
            ])
        }
    }

    @Test func weightedIntervalIsSecondsAndOnlyForWeightedSums() {
        let weighted = metric("aggregation_type", "weighted_sum_agg")
        #expect(CatalogFixtures.decode(weighted)?.billableMetrics[0].aggregationType == .weightedSumAgg, "seconds is the default")
        #expect(CatalogFixtures.errors(in: weighted.setting("billable_metrics[0].weighted_interval", to: "hours"))
            == [#"billable_metrics[0].weighted_interval: must be "seconds" (got "hours")"#])
        #expect(CatalogFixtures.errors(in: metric("weighted_interval", "seconds"))
            == ["billable_metrics[0].weighted_interval: applies to weighted_sum_agg only: leave it out or null"])
    }

    @Test func roundingDecodesAndItsErrorsNameTheField() throws {
        let rounded = try #require(CatalogFixtures.decode(
            metric("rounding_function", "ceil").setting("billable_metrics[0].rounding_precision", to: -2)))
        #expect(rounded.billableMetrics[0].rounding == UnitRounding(function: .ceil, precision: -2))
        #expect(CatalogFixtures.errors(in: metric("rounding_precision", 2))
            == ["billable_metrics[0].rounding_precision: needs a rounding_function (round, ceil or floor)"])
        #expect(CatalogFixtures.errors(in: metric("rounding_function", "truncate"))
            == [#"billable_metrics[0].rounding_function: rounding_function "truncate" is not supported yet (supported: round, ceil, floor)"#])
        #expect(CatalogFixtures.errors(in: metric("rounding_function", "round").setting("billable_metrics[0].rounding_precision", to: 16))
            == [#"billable_metrics[0].rounding_precision: must be a whole number from -15 to 15 (got "16")"#])
    }

    // MARK: Rounding

    @Test(arguments: [
        (UnitRounding.Function.round, 0, "123.4567", "123"), (.round, 2, "123.4567", "123.46"), (.round, -1, "123.4567", "120"),
        (.ceil, 0, "123.4567", "124"), (.floor, 0, "123.4567", "123"), (.ceil, -2, "101", "200"), (.floor, -2, "199", "100"),
        (.round, 0, "2.5", "3"), (.round, 0, "-2.5", "-3"), (.ceil, 1, "-1.25", "-1.2"), (.floor, 1, "-1.25", "-1.3"),
        (.round, -1, "5", "10"), (.round, 3, "1.5", "1.5"),
    ])
    func roundingFollowsLago(function: UnitRounding.Function, precision: Int, units: String, expected: String) throws {
        let value = try #require(ExactDecimal(decimalString: units))
        #expect(UnitRounding(function: function, precision: precision).apply(to: value)?.description == expected)
    }

    // MARK: Aggregating a slot

    static let october = BillingPeriod(year: 2026, month: 10, timezone: "UTC")!

    static func aggregation(_ type: AggregationType, recurring: Bool = false, rounding: UnitRounding? = nil,
                            from: UTCInstant = october.from, to: UTCInstant = october.to) -> UsageAggregation {
        UsageAggregation(
            metric: BillableMetric(code: "m", name: "M", aggregationType: type, fieldName: type == .countAgg ? nil : "v",
                                   recurring: recurring, rounding: rounding),
            period: october, from: from, to: to)
    }

    static func bucket(_ units: String, events: Int) -> UsageBucket {
        UsageBucket(code: "m", filterValues: [:], units: ExactDecimal(decimalString: units)!, eventsCount: events)
    }

    static func at(_ day: Int, _ arrival: Int64 = 0, _ value: String) -> MonthlyUsage.Latest {
        MonthlyUsage.Latest(at: UTCInstant(year: 2026, month: 10, day: day)!, arrival: arrival, value: ExactDecimal(decimalString: value)!)
    }

    @Test func latestIsTheLatestTimestampThenArrivalAndNeverNegative() throws {
        var a = Self.bucket("0", events: 2), b = Self.bucket("0", events: 1)
        a.latest = Self.at(20, 5, "7")
        b.latest = Self.at(20, 9, "4")
        #expect(try Self.aggregation(.latestAgg).aggregate([a, b]) == (ExactDecimal(4), 3) as (ExactDecimal, Int),
                "same day: the later arrival wins")
        b.latest = Self.at(3, 9, "-4")
        #expect(try Self.aggregation(.latestAgg).aggregate([a, b]).units == ExactDecimal(7))
        a.latest = Self.at(2, 0, "-1")
        #expect(try Self.aggregation(.latestAgg).aggregate([a, b]).units == .zero, "a negative latest value counts as 0")
        #expect(try Self.aggregation(.latestAgg).aggregate([]).units == .zero)
    }

    @Test func uniqueCountTakesEachValuesLastOperationAcrossBuckets() throws {
        var a = Self.bucket("3", events: 3), b = Self.bucket("2", events: 2)
        a.uniqueValues = ["u1": .init(last: Self.at(2, 0, "0"), added: true), "u2": .init(last: Self.at(5, 0, "0"), added: true)]
        // u2 removed later in the other bucket; u3 only there.
        b.uniqueValues = ["u2": .init(last: Self.at(9, 0, "0"), added: false), "u3": .init(last: Self.at(1, 0, "0"), added: true)]
        #expect(try Self.aggregation(.uniqueCountAgg).aggregate([a, b]) == (ExactDecimal(2), 2) as (ExactDecimal, Int))
        // Values found in one bucket only come counted: they add up with the merged ones.
        a.uniqueAddedAlone = 3
        b.uniqueAddedAlone = 1
        #expect(try Self.aggregation(.uniqueCountAgg).aggregate([a, b]) == (ExactDecimal(6), 6) as (ExactDecimal, Int))
    }

    @Test func recurringSumsAddWhatEarlierMonthsCarried() throws {
        var bucket = Self.bucket("5", events: 2)
        bucket.unitsBefore = ExactDecimal(10)
        bucket.eventsBefore = 4
        #expect(try Self.aggregation(.sumAgg).aggregate([bucket]) == (ExactDecimal(5), 2) as (ExactDecimal, Int))
        #expect(try Self.aggregation(.sumAgg, recurring: true).aggregate([bucket]) == (ExactDecimal(15), 6) as (ExactDecimal, Int))
    }

    @Test func aWeightedSumOfAPartialPeriodStillDividesByTheWholeMonth() throws {
        // 3 units held from October 21 for the rest of a charge period that ends October 26 (ended
        // subscription): 3 × 5 days ÷ 31 days = 0.48387096774193548387096… → up at 20 decimals.
        var bucket = Self.bucket("3", events: 1)
        bucket.weightedMicros = ExactDecimal(significand: 3 * 20 * 86_400 * 1_000_000, scale: 0)
        let end = UTCInstant(year: 2026, month: 10, day: 26)!
        let units = try Self.aggregation(.weightedSumAgg, to: end).aggregate([bucket]).units
        #expect(units.description == "0.48387096774193548388")
    }

    @Test func roundingAppliesToTheSlotsUnitsNotItsEventCount() throws {
        let rounded = Self.aggregation(.sumAgg, rounding: UnitRounding(function: .ceil))
        #expect(try rounded.aggregate([Self.bucket("10.2", events: 3), Self.bucket("0.1", events: 1)])
            == (ExactDecimal(11), 4) as (ExactDecimal, Int))
    }
}
