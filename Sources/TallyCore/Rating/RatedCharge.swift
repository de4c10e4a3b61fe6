/// The priced usage of one charge bucket (a filter, or the charge's default) for one period.
public struct RatedCharge: Equatable, Sendable {
    /// The slot's units as its metric aggregates them (`UsageAggregation`).
    public let units: ExactDecimal
    public let eventsCount: Int
    /// The charge model's amount in the currency's major unit, unrounded (Lago's `precise_amount`).
    public let preciseAmount: ExactDecimal
    /// `preciseAmount` in the currency's minor unit, rounded half-up: the one rounding of a slot.
    public let amountCents: Int64
    /// Units that had no price: a default bucket without `properties`; billed 0 and reported as a warning.
    public let unpriced: Bool
    /// Lago's `unit_amount`: `preciseAmount ÷ units` (package: ÷ paid units), 0 when the divisor is 0
    /// (package: ≤ 0). Exact when the quotient terminates within 38 digits; a quotient that does not
    /// terminate (÷ 3, say) is rounded half-up at 12 decimals.
    public let preciseUnitAmount: ExactDecimal
    /// Lago's `amount_details` for the charge model.
    public let amountDetails: AmountDetails

    public init(
        units: ExactDecimal, eventsCount: Int, preciseAmount: ExactDecimal, amountCents: Int64, unpriced: Bool,
        preciseUnitAmount: ExactDecimal = .zero, amountDetails: AmountDetails = .empty
    ) {
        self.units = units
        self.eventsCount = eventsCount
        self.preciseAmount = preciseAmount
        self.amountCents = amountCents
        self.unpriced = unpriced
        self.preciseUnitAmount = preciseUnitAmount
        self.amountDetails = amountDetails
    }
}
