/// The invoice Lago issues when a pay-in-advance subscription starts (`invoicing_reason`
/// `subscription_starting`): the first period's plan fee, billed ahead (docs/BILLING.md,
/// pay-in-advance plan fees).
public enum StartInvoice {
    /// Whether `subscription` is due a start invoice from a close as of `asOf` (`now` included) that
    /// sees `billed`, the subscriptions already on a live invoice: its current plan bills in advance,
    /// it started before both instants, within `months` (nil: any month, else the labels of the
    /// start's month in the customer's timezone), and no invoice bills it yet (a subscription that
    /// was billed in arrears before its plan became pay-in-advance gets none).
    public static func isDue(
        _ subscription: StoredCatalog.SubscriptionRecord, customer: StoredCatalog.CustomerRecord, asOf: UTCInstant,
        now: UTCInstant, months: Set<String>?, billed: Set<Int64>
    ) -> Bool {
        guard subscription.ratedPlan.payInAdvance, subscription.startedAt < asOf, subscription.startedAt < now,
              !billed.contains(subscription.id),
              let period = BillingPeriod.containing(subscription.startedAt, timezone: customer.billingTimezone)
        else { return false }
        return months.map { $0.contains(period.label) } ?? true
    }

    /// The start invoice of `subscription`, rated with its plan's current version: its period is the
    /// start's month in the customer's timezone, its issuing date the start's local date. Nil when the
    /// customer's timezone is unknown.
    public static func draft(
        _ subscription: StoredCatalog.SubscriptionRecord, customer: StoredCatalog.CustomerRecord
    ) throws(BillingError) -> InvoiceDraft? {
        guard let period = BillingPeriod.containing(subscription.startedAt, timezone: customer.billingTimezone) else { return nil }
        let plan = subscription.currentRatingPlan
        let fee = try SubscriptionRating.startFee(
            subscription: subscription.definition, plan: plan.definition, startedAt: subscription.startedAt, period: period)
        return InvoiceDraft(
            customer: customer, period: period, currency: customer.definition.currency ?? plan.definition.currency,
            fees: fee.map { [InvoiceDraft.Line(subscriptionId: subscription.id, fee: $0)] } ?? [],
            plans: [subscription.id: plan], startingSubscriptionId: subscription.id,
            issuingDate: period.localDate(of: subscription.startedAt))
    }
}
