import Testing
import TallyCore

@Suite struct PackageRatingTests {
    private func decimal(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> ExactDecimal {
        try #require(ExactDecimal(decimalString: text), sourceLocation: sourceLocation)
    }

    private func price(amount: String, freeUnits: String = "0", packageSize: String) throws -> PackageProperties {
        PackageProperties(amount: try decimal(amount), freeUnits: try decimal(freeUnits), packageSize: try decimal(packageSize))
    }

    private func rate(
        _ units: String, _ properties: PackageProperties?, currency: String = "USD", events: Int = 1
    ) throws -> RatedCharge {
        try ChargePricing.rate(SlotUsage(units: try decimal(units), eventsCount: events),
                               properties: properties.map(ChargeProperties.package), currency: currency)
    }

    // MARK: The worked examples of docs/BILLING.md

    @Test func startedPackagesAreBilledWhole() throws {
        let rated = try rate("121", price(amount: "100", packageSize: "10"), events: 3)
        #expect(rated.amountCents == 130_000)
        #expect(rated.preciseAmount == (try decimal("1300")))
        #expect(rated.units == (try decimal("121")))
        #expect(rated.eventsCount == 3)
        #expect(!rated.unpriced)
    }

    @Test func freeUnitsComeOffBeforePackagesAreCounted() throws {
        #expect(try rate("121", price(amount: "100", freeUnits: "10", packageSize: "10")).amountCents == 120_000)
    }

    @Test func usageWithinFreeUnitsCostsNothing() throws {
        let rated = try rate("121", price(amount: "100", freeUnits: "200", packageSize: "10"))
        #expect(rated.amountCents == 0)
        #expect(rated.preciseAmount == .zero)
        #expect(!rated.unpriced)
    }

    @Test func seedPriceChargesPerStartedMillionTokens() throws {
        let seed = try price(amount: "1", packageSize: "1000000")
        #expect(try rate("2000000", seed).amountCents == 200)
        #expect(try rate("2000001", seed).amountCents == 300)
        #expect(try rate("0", seed).amountCents == 0)
    }

    // MARK: Precision and currencies

    @Test func fractionalPricesStayExact() throws {
        let rated = try rate("1500000", price(amount: "2.7", packageSize: "1000000"))
        #expect(rated.preciseAmount == (try decimal("5.4")))
        #expect(rated.amountCents == 540)
    }

    @Test func minorUnitsAreRoundedHalfUp() throws {
        let rated = try rate("1", price(amount: "0.125", packageSize: "1"))
        #expect(rated.preciseAmount == (try decimal("0.125")))
        #expect(rated.amountCents == 13)
        #expect(try rate("1", price(amount: "0.124", packageSize: "1")).amountCents == 12)
    }

    @Test func fractionalUnitsStartAPackage() throws {
        #expect(try rate("1000000.5", price(amount: "1", packageSize: "1000000")).amountCents == 200)
    }

    @Test func yenHasNoMinorUnit() throws {
        let rated = try rate("3", price(amount: "150.5", packageSize: "1"), currency: "JPY")
        #expect(rated.preciseAmount == (try decimal("451.5")))
        #expect(rated.amountCents == 452)
    }

    // MARK: Unpriced usage

    @Test func aDefaultBucketWithoutPriceIsUnpricedUsage() throws {
        let rated = try rate("2000000", nil, events: 4)
        #expect(rated == RatedCharge(
            units: try decimal("2000000"), eventsCount: 4, preciseAmount: .zero, amountCents: 0, unpriced: true))
    }

    @Test func noUnitsIsNotUnpricedUsage() throws {
        #expect(try !rate("0", nil, events: 0).unpriced)
    }
}
