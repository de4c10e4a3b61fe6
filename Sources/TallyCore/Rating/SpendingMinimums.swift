/// Lago's two spending minimums, billed in arrears as the shortfall (docs/BILLING.md: spending minimum
/// per charge, minimum commitment): a charge's `min_amount_cents`, topped up by a true-up fee, and a
/// plan's `minimum_commitment`, topped up by a commitment fee.
extension SubscriptionRating {
    /// The true-up fee of a charge with a spending minimum whose slots (`slots`, filters then the
    /// default) billed less than the prorated minimum, nil otherwise (Lago's `Fees::CreateTrueUpService`).
    ///
    /// prorated = `minAmountCents × days ÷ days in month` (exact, a fraction of a minor unit kept);
    /// `amount_cents` = prorated − Σ slot amounts, rounded half-up; `precise_amount` = prorated − Σ slot
    /// precise amounts, in major units (exact when it terminates, else half-up at 12 decimals, never
    /// below 0). `parent` is the default slot's fee, which the true-up copies and points at.
    static func trueUp(
        of charge: Charge, slots: [RatedCharge], parent: DraftFee, period: PlanPeriod, currency: String,
        endDayBilledByNext: Bool = false
    ) throws(BillingError) -> DraftFee? {
        guard let minimum = charge.minAmountCents, minimum > 0 else { return nil }
        guard let scale = Currency.minorUnitScale(currency: currency) else { throw .unsupportedCurrency(currency) }
        // A part ended by a change of plan leaves its last day to the new plan (Lago's
        // `Subscription#date_diff_with_timezone` for an upgraded subscription).
        let days = ExactDecimal(max(0, period.daysCovered(from: parent.from, to: parent.to) - (endDayBilledByNext ? 1 : 0)))
        let daysInMonth = ExactDecimal(period.days)
        let used = try Int64.sum(slots.map(\.amountCents), "the amounts of charge \(charge.billableMetricCode)")
        var usedPrecise = ExactDecimal.zero
        for slot in slots {
            guard let sum = usedPrecise.adding(slot.preciseAmount) else {
                throw .tooLarge("the precise amounts of charge \(charge.billableMetricCode)")
            }
            usedPrecise = sum
        }
        // Both sides × days in month, so that the comparison and the shortfall stay exact:
        // used < minimum × days ÷ D  ⇔  used × D < minimum × days.
        let what = "the spending minimum of charge \(charge.billableMetricCode) (\(minimum) × \(days) ÷ \(daysInMonth))"
        guard let minimumTimesDays = ExactDecimal(significand: Int128(minimum), scale: 0).multiplied(by: days),
              let usedTimesMonth = ExactDecimal(significand: Int128(used), scale: 0).multiplied(by: daysInMonth),
              let shortTimesMonth = minimumTimesDays.subtracting(usedTimesMonth)
        else { throw .tooLarge(what) }
        guard shortTimesMonth > .zero else { return nil }
        // In major units: (minimum × days − usedPrecise × 10^scale × D) ÷ (10^scale × D).
        let minorPerMajor = ExactDecimal.minorUnitsPerMajor(scale: scale)
        guard let amountCents = shortTimesMonth.divided(by: daysInMonth, scale: 0, .halfUp)?.int64Value,
              let usedPreciseTimesMonth = usedPrecise.multiplied(by: minorPerMajor)?.multiplied(by: daysInMonth),
              let preciseShortTimesMonth = minimumTimesDays.subtracting(usedPreciseTimesMonth),
              let divisor = minorPerMajor.multiplied(by: daysInMonth)
        else { throw .tooLarge(what) }
        let preciseAmount = preciseShortTimesMonth > .zero
            ? try Exact.unitAmount(preciseShortTimesMonth, per: divisor)
            : ExactDecimal.zero
        return DraftFee(
            kind: .chargeTrueUp, externalSubscriptionId: parent.externalSubscriptionId,
            itemCode: parent.itemCode, itemName: parent.itemName, invoiceDisplayName: parent.invoiceDisplayName,
            filterInvoiceDisplayName: nil, filters: nil, units: ExactDecimal(1), eventsCount: 0,
            preciseAmount: preciseAmount, amountCents: amountCents, unpriced: false, from: parent.from, to: parent.to,
            preciseUnitAmount: preciseAmount, amountDetails: .empty)
    }

    /// The commitment fee of a subscription whose fees of the period (`fees`: its subscription fee,
    /// charge fees and true-ups) total less than the plan's prorated minimum commitment, nil when they
    /// reach it or the plan has none (Lago's `Commitments::Minimum::InArrears::CalculateTrueUpFeeService`;
    /// Lago creates no commitment fee of 0, `Invoices::CalculateFeesService`).
    ///
    /// commitment = `amount_cents × days ÷ days in month`, rounded half-up, over the days of `from`…`to`
    /// (the charges' window: a trial does not shorten it); `amount_cents` = commitment − Σ fee amounts;
    /// `precise_amount` = commitment − Σ fee precise amounts, in major units, never below 0.
    static func commitmentFee(
        plan: Plan, externalSubscriptionId: String, fees: [DraftFee], from: UTCInstant, to: UTCInstant, period: PlanPeriod
    ) throws(BillingError) -> DraftFee? {
        guard let commitment = plan.minimumCommitment, commitment.amountCents > 0 else { return nil }
        guard let scale = Currency.minorUnitScale(currency: plan.currency) else { throw .unsupportedCurrency(plan.currency) }
        let days = period.daysCovered(from: from, to: to)
        guard let committed = ExactDecimal(significand: Int128(commitment.amountCents), scale: 0)
                .multiplied(by: ExactDecimal(days))?.divided(by: ExactDecimal(period.days), scale: 0, .halfUp)?.int64Value
        else { throw .tooLarge("the minimum commitment of plan \(plan.code) (\(commitment.amountCents) × \(days) ÷ \(period.days))") }
        let total = try Int64.sum(fees.map(\.amountCents), "the fees of subscription \(externalSubscriptionId)")
        let (amountCents, overflow) = committed.subtractingReportingOverflow(total)
        guard !overflow else { throw .tooLarge("\(committed) − \(total) minor units") }
        guard amountCents > 0 else { return nil }
        var precise = ExactDecimal(significand: Int128(committed), scale: scale)
        for fee in fees {
            guard let rest = precise.subtracting(fee.preciseAmount) else {
                throw .tooLarge("the precise fees of subscription \(externalSubscriptionId)")
            }
            precise = rest
        }
        let amount = ExactDecimal(significand: Int128(amountCents), scale: scale)
        return DraftFee(
            kind: .commitment, externalSubscriptionId: externalSubscriptionId,
            itemCode: plan.code, itemName: plan.name, invoiceDisplayName: commitment.invoiceName,
            filterInvoiceDisplayName: nil, filters: nil, units: ExactDecimal(1), eventsCount: 0,
            preciseAmount: max(precise, .zero), amountCents: amountCents, unpriced: false, from: from, to: to,
            preciseUnitAmount: amount, amountDetails: .empty)
    }
}

extension ExactDecimal {
    /// 10^scale: how many minor units make one major unit (100 for a currency with cents).
    static func minorUnitsPerMajor(scale: Int) -> ExactDecimal {
        // The scale is one of `Currency.minorUnitScale`'s (0 or 2), so this is small.
        var units = 1
        for _ in 0..<scale { units *= 10 }
        return ExactDecimal(units)
    }
}
