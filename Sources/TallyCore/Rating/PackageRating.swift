/// The priced usage of one charge bucket (a filter, or the charge's default) for one period.
public struct RatedCharge: Equatable, Sendable {
    /// Exact sum of the events' aggregation property.
    public let units: ExactDecimal
    public let eventsCount: Int
    /// `packages × amount` in the currency's major unit, unrounded (Lago's `precise_amount`).
    public let preciseAmount: ExactDecimal
    /// `preciseAmount` in the currency's minor unit, rounded half-up.
    public let amountCents: Int64
    /// Units that had no price: a default bucket without `properties`; billed 0 and reported as a warning.
    public let unpriced: Bool

    public init(units: ExactDecimal, eventsCount: Int, preciseAmount: ExactDecimal, amountCents: Int64, unpriced: Bool) {
        self.units = units
        self.eventsCount = eventsCount
        self.preciseAmount = preciseAmount
        self.amountCents = amountCents
        self.unpriced = unpriced
    }
}

/// Prices units by package (docs/BILLING.md, rating): `⌈(units − free_units) ÷ package_size⌉ × amount`,
/// exactly.
public enum PackageRating {
    /// Rates `units` with `properties` in `currency`; nil `properties` is a price of 0 (unpriced usage).
    /// Throws when the currency is not supported or the amount has no exact 38-digit value or does
    /// not fit 64-bit minor units.
    public static func rate(
        units: ExactDecimal, eventsCount: Int, properties: PackageProperties?, currency: String
    ) throws(BillingError) -> RatedCharge {
        guard let scale = Currency.minorUnitScale(currency: currency) else { throw .unsupportedCurrency(currency) }
        guard let properties else {
            return RatedCharge(
                units: units, eventsCount: eventsCount, preciseAmount: .zero, amountCents: 0, unpriced: units > .zero)
        }
        let amount = try preciseAmount(units: units, properties, currency: currency)
        guard let cents = amount.rounded(scale: scale, .halfUp).minorUnits(scale: scale) else {
            throw .tooLarge("\(amount) \(currency)")
        }
        return RatedCharge(units: units, eventsCount: eventsCount, preciseAmount: amount, amountCents: cents, unpriced: false)
    }

    private static func preciseAmount(
        units: ExactDecimal, _ properties: PackageProperties, currency: String
    ) throws(BillingError) -> ExactDecimal {
        guard let paidUnits = units.subtracting(properties.freeUnits) else {
            throw .tooLarge("\(units) units − \(properties.freeUnits) free units")
        }
        guard paidUnits > .zero else { return .zero }
        guard properties.packageSize > .zero, let packages = paidUnits.dividedRoundingUp(by: properties.packageSize),
              let amount = packages.multiplied(by: properties.amount)
        else {
            throw .tooLarge("⌈\(paidUnits) ÷ \(properties.packageSize)⌉ × \(properties.amount) \(currency)")
        }
        return amount
    }
}
