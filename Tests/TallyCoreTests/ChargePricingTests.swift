import Testing
@testable import TallyCore

/// Shared by the charge model tests: exact values from text and a slot rated in USD.
enum Pricing {
    static func decimal(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> ExactDecimal {
        try #require(ExactDecimal(decimalString: text), sourceLocation: sourceLocation)
    }

    static func rate(
        _ units: String, _ properties: ChargeProperties, events: Int = 1, values: EventValues = .unavailable,
        currency: String = "USD"
    ) throws -> RatedCharge {
        try ChargePricing.rate(
            SlotUsage(units: try decimal(units), eventsCount: events, eventValues: values),
            properties: properties, currency: currency)
    }

    static func json(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> JSONValue {
        CatalogFixtures.json(text, sourceLocation: sourceLocation)
    }

    static func range(_ from: Int, _ to: Int?, perUnit: String, flat: String) throws -> PriceRange {
        PriceRange(
            fromValue: ExactDecimal(from), toValue: to.map(ExactDecimal.init), perUnitAmount: try decimal(perUnit),
            flatAmount: try decimal(flat))
    }

    static func percentageRange(_ from: Int, _ to: Int?, rate: String, flat: String) throws -> PercentageRange {
        PercentageRange(
            fromValue: ExactDecimal(from), toValue: to.map(ExactDecimal.init), rate: try decimal(rate),
            flatAmount: try decimal(flat))
    }
}

@Suite struct StandardPricingTests {
    let price = ChargeProperties.standard(StandardProperties(amount: ExactDecimal(significand: 5, scale: 1)))

    @Test func unitsTimesAmount() throws {
        // 3 × 0.5 = 1.5 → 150 cents; unit amount 1.5 ÷ 3 = 0.5.
        let rated = try Pricing.rate("3", price, events: 2)
        #expect(rated.preciseAmount == (try Pricing.decimal("1.5")))
        #expect(rated.amountCents == 150)
        #expect(rated.preciseUnitAmount == (try Pricing.decimal("0.5")))
        #expect(rated.amountDetails.json == Pricing.json("{}"))
        #expect(rated.units == ExactDecimal(3))
        #expect(rated.eventsCount == 2)
        #expect(!rated.unpriced)
    }

    @Test func zeroAndDecimalUnits() throws {
        // 0 × 0.5 = 0, unit amount 0 (no units to divide by).
        let none = try Pricing.rate("0", price, events: 0)
        #expect(none.amountCents == 0)
        #expect(none.preciseUnitAmount == .zero)
        // 2.25 × 0.5 = 1.125 → 113 cents (half-up at the one rounding point).
        let decimal = try Pricing.rate("2.25", price)
        #expect(decimal.preciseAmount == (try Pricing.decimal("1.125")))
        #expect(decimal.amountCents == 113)
    }

    @Test func unpricedWithoutProperties() throws {
        let rated = try ChargePricing.rate(SlotUsage(units: ExactDecimal(7), eventsCount: 2), properties: nil, currency: "USD")
        #expect(rated == RatedCharge(units: ExactDecimal(7), eventsCount: 2, preciseAmount: .zero, amountCents: 0, unpriced: true))
        #expect(rated.amountDetails == .empty)
    }

    @Test func unsupportedCurrencyAndOverflowThrow() throws {
        #expect(throws: BillingError.self) { try Pricing.rate("1", price, currency: "SEK") }
        // 10^30 × 10^9 needs 40 digits.
        let huge = ChargeProperties.standard(StandardProperties(amount: ExactDecimal(1_000_000_000)))
        #expect(throws: BillingError.self) { try Pricing.rate("1000000000000000000000000000000", huge) }
    }
}

@Suite struct GraduatedPricingTests {
    /// Adjacent ranges (each starts at the previous to_value): [0,100] 1 + flat 10, [100,200] 0.5 + 5, [200,∞) 0.25.
    static func adjacent() throws -> ChargeProperties {
        .graduated([
            try Pricing.range(0, 100, perUnit: "1", flat: "10"), try Pricing.range(100, 200, perUnit: "0.5", flat: "5"),
            try Pricing.range(200, nil, perUnit: "0.25", flat: "0"),
        ])
    }

    /// The same prices with ranges starting one past the previous to_value: [0,100], [101,200], [201,∞).
    static func gapped() throws -> ChargeProperties {
        .graduated([
            try Pricing.range(0, 100, perUnit: "1", flat: "10"), try Pricing.range(101, 200, perUnit: "0.5", flat: "5"),
            try Pricing.range(201, nil, perUnit: "0.25", flat: "0"),
        ])
    }

    @Test func zeroUnitsBillTheFirstFlatAmount() throws {
        // Range 1: 0 units × 0 + flat 10 = 10; Lago stops there (to 100 ≥ 0 units).
        let rated = try Pricing.rate("0", Self.adjacent(), events: 0)
        #expect(rated.amountCents == 1000)
        #expect(rated.preciseUnitAmount == .zero)
        #expect(rated.amountDetails.json == Pricing.json("""
            {"graduated_ranges": [{"from_value": 0, "to_value": 100, "flat_unit_amount": "10", "per_unit_amount": "0",
              "units": "0", "per_unit_total_amount": "0", "total_with_flat_amount": "10"}]}
            """))
    }

    @Test func exactlyOnABoundaryStaysInTheRange() throws {
        // 100 × 1 + 10 = 110; the second range is not reached (to 100 ≥ 100 units).
        let rated = try Pricing.rate("100", Self.adjacent())
        #expect(rated.preciseAmount == ExactDecimal(110))
        #expect(rated.preciseUnitAmount == (try Pricing.decimal("1.1")))
    }

    @Test func onePastABoundaryReachesTheNextRange() throws {
        // 110 + (101 − 100) × 0.5 + 5 = 115.5, for both layouts: gapped counts 101 − 101 + 1 = 1 unit.
        for properties in [try Self.adjacent(), try Self.gapped()] {
            let rated = try Pricing.rate("101", properties)
            #expect(rated.preciseAmount == (try Pricing.decimal("115.5")))
            #expect(rated.amountCents == 11550)
        }
        #expect(try Pricing.rate("101", Self.adjacent()).amountDetails.json == Pricing.json("""
            {"graduated_ranges": [
              {"from_value": 0, "to_value": 100, "flat_unit_amount": "10", "per_unit_amount": "1",
               "units": "100", "per_unit_total_amount": "100", "total_with_flat_amount": "110"},
              {"from_value": 100, "to_value": 200, "flat_unit_amount": "5", "per_unit_amount": "0.5",
               "units": "1", "per_unit_total_amount": "0.5", "total_with_flat_amount": "5.5"}]}
            """))
    }

    @Test func decimalUnitsAcrossAllRanges() throws {
        // 110 + (200 − 100) × 0.5 + 5 + (250.5 − 200) × 0.25 = 110 + 55 + 12.625 = 177.625 → 17763 cents;
        // unit amount 177.625 ÷ 250.5 = 0.70908183632734… → 0.709081836327 (12 decimals, half-up).
        let rated = try Pricing.rate("250.5", Self.adjacent())
        #expect(rated.preciseAmount == (try Pricing.decimal("177.625")))
        #expect(rated.amountCents == 17763)
        #expect(rated.preciseUnitAmount == (try Pricing.decimal("0.709081836327")))
    }

    @Test func decimalUnitsBetweenGappedRanges() throws {
        // Gapped, 100.5 units: range 2 counts 100.5 − 101 + 1 = 0.5 → 110 + 0.25 + 5 = 115.25.
        #expect(try Pricing.rate("100.5", Self.gapped()).preciseAmount == (try Pricing.decimal("115.25")))
    }

    @Test func mixedAdjacencyCountsOneUnitMoreLikeLago() throws {
        // [0,100], [100,200], [201,∞) is not adjacent throughout, so range 2 counts 150 − 100 + 1 = 51 units:
        // 110 + 51 × 0.5 + 5 = 140.5 (adjacent ranges would give 140). Unit amount 140.5 ÷ 150 → 0.936666666667.
        let mixed = ChargeProperties.graduated([
            try Pricing.range(0, 100, perUnit: "1", flat: "10"), try Pricing.range(100, 200, perUnit: "0.5", flat: "5"),
            try Pricing.range(201, nil, perUnit: "0.25", flat: "0"),
        ])
        let rated = try Pricing.rate("150", mixed)
        #expect(rated.preciseAmount == (try Pricing.decimal("140.5")))
        #expect(rated.preciseUnitAmount == (try Pricing.decimal("0.936666666667")))
        #expect(try Pricing.rate("150", Self.adjacent()).preciseAmount == ExactDecimal(140))
    }
}

@Suite struct VolumePricingTests {
    /// [0,100] 1 + flat 10, [101,200] 0.5 + flat 5, [201,∞) 0.25.
    static func volume() throws -> ChargeProperties {
        .volume([
            try Pricing.range(0, 100, perUnit: "1", flat: "10"), try Pricing.range(101, 200, perUnit: "0.5", flat: "5"),
            try Pricing.range(201, nil, perUnit: "0.25", flat: "0"),
        ])
    }

    @Test func zeroUnitsBillTheFirstFlatAmount() throws {
        // 0 × 1 + 10 = 10.
        let rated = try Pricing.rate("0", Self.volume(), events: 0)
        #expect(rated.amountCents == 1000)
        #expect(rated.preciseUnitAmount == .zero)
        #expect(rated.amountDetails.json == Pricing.json(
            #"{"flat_unit_amount": "10", "per_unit_amount": "0", "per_unit_total_amount": "0"}"#))
    }

    @Test func allUnitsAtTheRangeThatHoldsThem() throws {
        // 100 × 1 + 10 = 110; 101 × 0.5 + 5 = 55.5 (the bill drops), unit amount 55.5 ÷ 101 → 0.549504950495.
        #expect(try Pricing.rate("100", Self.volume()).preciseAmount == ExactDecimal(110))
        let past = try Pricing.rate("101", Self.volume())
        #expect(past.preciseAmount == (try Pricing.decimal("55.5")))
        #expect(past.amountCents == 5550)
        #expect(past.preciseUnitAmount == (try Pricing.decimal("0.549504950495")))
        #expect(past.amountDetails.json == Pricing.json(
            #"{"flat_unit_amount": "5", "per_unit_amount": "0.5", "per_unit_total_amount": "50.5"}"#))
    }

    @Test func decimalUnitsGoToTheRangeOfTheirCeiling() throws {
        // 100.5: ⌈100.5⌉ = 101 ≥ from 101 and 100.5 ≤ 200 → 100.5 × 0.5 + 5 = 55.25.
        #expect(try Pricing.rate("100.5", Self.volume()).preciseAmount == (try Pricing.decimal("55.25")))
        // 250.5 × 0.25 = 62.625 → 6263 cents.
        #expect(try Pricing.rate("250.5", Self.volume()).amountCents == 6263)
    }

    @Test func unitsInAGapBetweenRangesCannotBeRated() throws {
        // Lago's validator lets a range start two past the previous to_value; 11 units then fit no range.
        let gap = ChargeProperties.volume([
            try Pricing.range(0, 10, perUnit: "1", flat: "0"), try Pricing.range(12, nil, perUnit: "1", flat: "0"),
        ])
        #expect(throws: BillingError.self) { try Pricing.rate("11", gap) }
        #expect(try Pricing.rate("12", gap).preciseAmount == ExactDecimal(12))
    }
}

@Suite struct PackagePricingTests {
    static func package(amount: String, free: Int = 0, size: Int) throws -> ChargeProperties {
        .package(PackageProperties(amount: try Pricing.decimal(amount), freeUnits: ExactDecimal(free), packageSize: ExactDecimal(size)))
    }

    @Test func paidUnitsByStartedPackage() throws {
        // 121 − 10 free = 111 paid → ⌈11.1⌉ = 12 packages × 100 = 1200; unit amount 1200 ÷ 111 → 10.810810810811.
        let rated = try Pricing.rate("121", Self.package(amount: "100", free: 10, size: 10))
        #expect(rated.preciseAmount == ExactDecimal(1200))
        #expect(rated.preciseUnitAmount == (try Pricing.decimal("10.810810810811")))
        #expect(rated.amountDetails.json == Pricing.json(
            #"{"free_units": "10", "paid_units": "111", "per_package_size": 10, "per_package_unit_amount": "100"}"#))
    }

    @Test func boundariesAndFreeUnits() throws {
        let price = try Self.package(amount: "100", free: 10, size: 10)
        // 20 units: 10 paid = exactly 1 package → 100; 21: 11 paid → 2 packages → 200.
        #expect(try Pricing.rate("20", price).preciseAmount == ExactDecimal(100))
        #expect(try Pricing.rate("21", price).preciseAmount == ExactDecimal(200))
        // 20.5: 10.5 paid → 2 packages.
        #expect(try Pricing.rate("20.5", price).preciseAmount == ExactDecimal(200))
        // 5 units, all free: 0, paid units shown as 0, unit amount 0.
        let free = try Pricing.rate("5", price)
        #expect(free.preciseAmount == .zero)
        #expect(free.preciseUnitAmount == .zero)
        #expect(free.amountDetails.json == Pricing.json(
            #"{"free_units": "10", "paid_units": "0", "per_package_size": 10, "per_package_unit_amount": "100"}"#))
    }

    @Test func zeroUnitsHaveZeroDetails() throws {
        let rated = try Pricing.rate("0", Self.package(amount: "100", free: 10, size: 10), events: 0)
        #expect(rated.amountCents == 0)
        #expect(rated.amountDetails.json == Pricing.json(
            #"{"free_units": "0", "paid_units": "0", "per_package_size": 0, "per_package_unit_amount": "0"}"#))
    }
}
