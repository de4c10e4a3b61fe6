import Testing
@testable import TallyCore

/// Relations between the charge models on seeded random units and prices (see `SeededRandom`):
/// units up to 6 whole digits and 3 decimals, prices up to 3 whole digits and 4 decimals.
@Suite struct ChargeModelPropertyTests {
    private static let cases = 1_000

    private func units(_ random: inout SeededRandom) -> ExactDecimal {
        random.decimal(integerDigits: 6, fractionDigits: 3)
    }

    private func price(_ random: inout SeededRandom) -> ExactDecimal {
        random.decimal(integerDigits: 3, fractionDigits: 4)
    }

    private func rate(_ units: ExactDecimal, _ properties: ChargeProperties) throws -> RatedCharge {
        try ChargePricing.rate(SlotUsage(units: units, eventsCount: 1), properties: properties, currency: "USD")
    }

    @Test func oneOpenGraduatedRangeIsStandard() throws {
        var random = SeededRandom(seed: 21)
        for _ in 0..<Self.cases {
            let (units, price) = (units(&random), price(&random))
            let graduated = ChargeProperties.graduated([
                PriceRange(fromValue: .zero, toValue: nil, perUnitAmount: price, flatAmount: .zero)])
            let standard = ChargeProperties.standard(StandardProperties(amount: price))
            #expect(try rate(units, graduated).preciseAmount == rate(units, standard).preciseAmount, "\(units) at \(price)")
        }
    }

    @Test func packageOfOneWithoutFreeUnitsIsStandard() throws {
        var random = SeededRandom(seed: 22)
        for _ in 0..<Self.cases {
            // Whole units: a package of 1 rounds a fraction of a unit up to a whole package.
            let (units, price) = (random.decimal(integerDigits: 6, fractionDigits: 0), price(&random))
            let package = ChargeProperties.package(PackageProperties(amount: price, packageSize: ExactDecimal(1)))
            let standard = ChargeProperties.standard(StandardProperties(amount: price))
            let packaged = try rate(units, package)
            let plain = try rate(units, standard)
            #expect(packaged.preciseAmount == plain.preciseAmount, "\(units) at \(price)")
            #expect(packaged.preciseUnitAmount == plain.preciseUnitAmount, "\(units) at \(price)")
        }
    }

    @Test func oneVolumeRangeIsStandardPlusFlat() throws {
        var random = SeededRandom(seed: 23)
        for _ in 0..<Self.cases {
            let (units, price, flat) = (units(&random), price(&random), price(&random))
            let volume = ChargeProperties.volume([
                PriceRange(fromValue: .zero, toValue: nil, perUnitAmount: price, flatAmount: flat)])
            let standard = try rate(units, .standard(StandardProperties(amount: price))).preciseAmount
            #expect(try rate(units, volume).preciseAmount == standard + flat, "\(units) at \(price) + \(flat)")
        }
    }

    @Test func amountsNeverDecreaseAsUnitsGrow() throws {
        var random = SeededRandom(seed: 24)
        for _ in 0..<Self.cases {
            let (first, second) = (units(&random), units(&random))
            let (low, high) = first < second ? (first, second) : (second, first)
            // Graduated ranges with from = previous to + 1, as Lago's front end writes them.
            let bound = random.decimal(integerDigits: 5, fractionDigits: 0) + ExactDecimal(1)
            let models: [ChargeProperties] = [
                .standard(StandardProperties(amount: price(&random))),
                .package(PackageProperties(
                    amount: price(&random), freeUnits: random.decimal(integerDigits: 3, fractionDigits: 0),
                    packageSize: random.decimal(integerDigits: 3, fractionDigits: 0) + ExactDecimal(1))),
                .graduated([
                    PriceRange(fromValue: .zero, toValue: bound, perUnitAmount: price(&random), flatAmount: price(&random)),
                    PriceRange(fromValue: bound + ExactDecimal(1), toValue: nil, perUnitAmount: price(&random),
                               flatAmount: price(&random)),
                ]),
            ]
            for model in models {
                #expect(try rate(low, model).preciseAmount <= rate(high, model).preciseAmount, "\(low) ≤ \(high), \(model)")
            }
        }
    }
}
