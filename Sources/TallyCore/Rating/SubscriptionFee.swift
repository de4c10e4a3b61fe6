/// The plan's fixed fee for one period, billed in arrears (docs/BILLING.md: the prorated plan fee).
public enum SubscriptionFee {
    /// The fee in minor units for the part of `period` (the plan's: a month, quarter, half-year or
    /// year) the subscription is billed for: from the latest of the period's start, the subscription's
    /// start and its trial's end, to the earliest of the period's end and the subscription's end. 0 when
    /// that part is empty or the trial lasts past it, the full `planAmountCents` when it covers the
    /// whole period.
    ///
    /// Proration counts whole local days in the period's timezone, both end days included (Lago's
    /// `date_diff_with_timezone`): `days billed × planAmountCents ÷ days in the period`, rounded half
    /// away from zero. With `endDayBilledByNext` (a part ended by a change of plan, whose new plan
    /// bills that day), the end day is not counted, as in Lago.
    public static func amountCents(
        planAmountCents: Int64, period: PlanPeriod, startedAt: UTCInstant, endingAt: UTCInstant?, trialEnd: UTCInstant? = nil,
        endDayBilledByNext: Bool = false
    ) throws(BillingError) -> Int64 {
        let to = endingAt.map { min(period.to, $0) } ?? period.to
        var from = max(period.from, startedAt)
        guard planAmountCents != 0, from <= to else { return 0 }
        if let trialEnd {
            // Lago: nothing while the trial lasts to the end; otherwise billing starts on its last day.
            guard trialEnd < to else { return 0 }
            from = max(from, trialEnd)
        }
        let days = period.days
        let endsInPeriod = endingAt.map { $0 <= period.to } ?? false
        let daysBilled = period.daysCovered(from: from, to: to) - (endDayBilledByNext && endsInPeriod ? 1 : 0)
        guard daysBilled > 0 else { return 0 }
        // days × cents < 366 × 2^63 fits 38 digits, and the prorated fee is at most the full one, so this
        // division always has a result that fits Int64.
        guard let prorated = (ExactDecimal(daysBilled) * ExactDecimal(significand: Int128(planAmountCents), scale: 0))
                .divided(by: ExactDecimal(days), scale: 0, .halfAwayFromZero)?.int64Value
        else { throw .tooLarge("\(daysBilled) × \(planAmountCents) ÷ \(days)") }
        return prorated
    }
}
