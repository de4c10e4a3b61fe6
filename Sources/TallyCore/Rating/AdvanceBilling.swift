import Foundation

/// What a period invoice must know of a subscription's plan fees billed in advance
/// (docs/BILLING.md, pay-in-advance plan fees), as the stored invoices say.
public struct AdvanceBilling: Equatable, Sendable {
    /// The fee of the period being rated was already billed: by the subscription's start invoice, or
    /// as the advance fee of the previous period's invoice. Its invoice bills no fee for the period.
    public var periodFeeBilled: Bool
    /// The fee of the next period was already billed in arrears (that period was closed first): no
    /// advance fee for it.
    public var nextFeeBilled: Bool

    public init(periodFeeBilled: Bool = false, nextFeeBilled: Bool = false) {
        self.periodFeeBilled = periodFeeBilled
        self.nextFeeBilled = nextFeeBilled
    }

    /// Nothing billed ahead: the period's fee is billed in arrears.
    public static let none = AdvanceBilling()
}

extension SubscriptionRating {
    /// The fee a pay-in-advance subscription's start invoice bills (Lago's `first_subscription_amount`
    /// on the `subscription_starting` invoice): from the start day (its trial's end day) to the end of
    /// `period`, the month the subscription starts in, prorated by days. Its `from` is the start day's
    /// first local instant, as Lago's `from_datetime`; a later end is not known yet and does not count.
    /// Nil when the amount is 0 (a trial covering the month, a plan of 0).
    public static func startFee(
        subscription: Subscription, plan: Plan, startedAt: UTCInstant, period: BillingPeriod
    ) throws(BillingError) -> DraftFee? {
        let cents = try SubscriptionFee.amountCents(
            planAmountCents: plan.amountCents, period: PlanPeriod(month: period), startedAt: startedAt, endingAt: nil,
            trialEnd: plan.trialEnd(startedAt: startedAt))
        guard cents > 0 else { return nil }
        return planFee(subscription: subscription, plan: plan, cents: cents, from: period.startOfLocalDay(of: startedAt), to: period.to)
    }

    /// The advance fee a pay-in-advance subscription's invoice of `period` bills for the next period,
    /// when the subscription is live at its first instant (Lago's `full_period_amount`): the full fee,
    /// or from its trial's end day when the trial ends in that period; nil when the trial covers it, the
    /// subscription ends before it, or `advance` says it was billed already. An end within the next
    /// period does not reduce it: Lago refunds the unused days with a credit note.
    static func advanceFee(
        subscription: Subscription, plan: Plan, startedAt: UTCInstant, endingAt: UTCInstant?, period: BillingPeriod,
        advance: AdvanceBilling
    ) throws(BillingError) -> DraftFee? {
        let next = period.next
        guard plan.payInAdvance, !advance.nextFeeBilled, startedAt <= next.from, endingAt.map({ $0 >= next.from }) ?? true
        else { return nil }
        let cents = try SubscriptionFee.amountCents(
            planAmountCents: plan.amountCents, period: PlanPeriod(month: next), startedAt: startedAt, endingAt: nil,
            trialEnd: plan.trialEnd(startedAt: startedAt))
        guard cents > 0 else { return nil }
        return planFee(subscription: subscription, plan: plan, cents: cents, from: next.from, to: next.to)
    }

    /// The `subscription` fee line of `cents`, billing `from` … `to`.
    static func planFee(subscription: Subscription, plan: Plan, cents: Int64, from: UTCInstant, to: UTCInstant) -> DraftFee {
        let scale = Currency.minorUnitScale(currency: plan.currency) ?? 2
        return DraftFee(
            kind: .subscription, externalSubscriptionId: subscription.externalId,
            itemCode: plan.code, itemName: plan.name, invoiceDisplayName: plan.name,
            filterInvoiceDisplayName: nil, filters: nil, units: ExactDecimal(1), eventsCount: 0,
            preciseAmount: ExactDecimal(significand: Int128(cents), scale: scale),
            amountCents: cents, unpriced: false, from: from, to: to,
            preciseUnitAmount: ExactDecimal(significand: Int128(cents), scale: scale),
            amountDetails: AmountDetails(json: .object(JSONObject([("plan_amount_cents", .number(String(plan.amountCents)))]))))
    }
}

extension BillingPeriod {
    /// The first instant of the local day `instant` falls on, in the period's timezone.
    public func startOfLocalDay(of instant: UTCInstant) -> UTCInstant {
        let local = localCivil(of: instant)
        return BillingPeriod.startOfLocalDay(year: local.year, month: local.month, day: local.day, in: zone)
    }

    /// The local date (YYYY-MM-DD) of `instant` in the period's timezone.
    public func localDate(of instant: UTCInstant) -> String {
        let local = localCivil(of: instant)
        return CalendarMonth(year: local.year, month: local.month).label + "-" + (local.day < 10 ? "0" : "") + String(local.day)
    }
}
