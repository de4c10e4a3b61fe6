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
    ///
    /// Traps when `currency` is not one of `Currency.supportedCodes`, the package size is 0, or the amount
    /// does not fit 38 digits or `Int64` minor units: the catalog validator refuses such prices, and no
    /// realistic usage reaches 92 quadrillion dollars.
    public static func rate(
        units: ExactDecimal, eventsCount: Int, properties: PackageProperties?, currency: String
    ) -> RatedCharge {
        guard let scale = Currency.minorUnitScale(currency: currency) else {
            preconditionFailure("cannot rate in unsupported currency \(currency)")
        }
        guard let properties else {
            return RatedCharge(
                units: units, eventsCount: eventsCount, preciseAmount: .zero, amountCents: 0, unpriced: units > .zero)
        }
        let amount = preciseAmount(units: units, properties)
        guard let cents = amount.rounded(scale: scale, .halfUp).minorUnits(scale: scale) else {
            preconditionFailure("amount \(amount) \(currency) does not fit in 64-bit minor units")
        }
        return RatedCharge(units: units, eventsCount: eventsCount, preciseAmount: amount, amountCents: cents, unpriced: false)
    }

    private static func preciseAmount(units: ExactDecimal, _ properties: PackageProperties) -> ExactDecimal {
        guard let paidUnits = units.subtracting(properties.freeUnits) else {
            preconditionFailure("units \(units) − free units \(properties.freeUnits) overflow 38 digits")
        }
        guard paidUnits > .zero else { return .zero }
        guard let packages = paidUnits.dividedRoundingUp(by: properties.packageSize),
              let amount = packages.multiplied(by: properties.amount)
        else {
            preconditionFailure(
                "⌈\(paidUnits) ÷ \(properties.packageSize)⌉ × \(properties.amount) is not a 38-digit amount")
        }
        return amount
    }
}
