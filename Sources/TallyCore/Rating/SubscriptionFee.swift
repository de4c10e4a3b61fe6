/// The plan's fixed fee for one period, billed in arrears (docs/BILLING.md: billing periods, the
/// prorated plan fee).
public enum SubscriptionFee {
    /// The fee in minor units: the full `planAmountCents` when the subscription started before the period,
    /// prorated in its first period, 0 when it starts after the period.
    ///
    /// Proration counts whole local days in the period's timezone, the start day included:
    /// `(days in month − start day + 1) × planAmountCents ÷ days in month`, rounded half away from zero.
    public static func amountCents(planAmountCents: Int64, period: BillingPeriod, subscriptionStart: UTCInstant) throws(BillingError) -> Int64 {
        guard planAmountCents != 0, subscriptionStart <= period.to else { return 0 }
        guard subscriptionStart >= period.from else { return planAmountCents }
        let daysInMonth = period.daysInMonth
        let daysBilled = daysInMonth - period.localDay(of: subscriptionStart) + 1
        // days × cents < 31 × 2^63 fits 38 digits, and the prorated fee is at most the full one, so this
        // division always has a result that fits Int64.
        guard let prorated = (ExactDecimal(daysBilled) * ExactDecimal(significand: Int128(planAmountCents), scale: 0))
                .divided(by: ExactDecimal(daysInMonth), scale: 0, .halfAwayFromZero)?.int64Value
        else { throw .tooLarge("\(daysBilled) × \(planAmountCents) ÷ \(daysInMonth)") }
        return prorated
    }
}
