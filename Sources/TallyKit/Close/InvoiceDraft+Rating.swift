import TallyCore

extension BillingContext {
    /// The customer's subscriptions live at some instant of `period`: the ones its invoice for that period bills.
    func activeSubscriptions(of customer: CustomerRecord, in period: BillingPeriod) -> [SubscriptionRecord] {
        (subscriptionsByCustomer[customer.id] ?? []).filter { $0.isActive(in: period) }
    }
}

/// A draft with the usage it billed at price 0 (SPEC §5), for the run's warnings.
struct RatedDraft {
    let draft: InvoiceDraft
    let unpriced: [UnpricedUsage]
}

extension InvoiceDraft {
    /// Rates each (customer, period) pair from the usage rollups with the current catalog: what close
    /// issues, and what reprocess compares a stored invoice with. Every customer must have an active
    /// subscription in its period.
    static func rate(
        _ pairs: [(customer: BillingContext.CustomerRecord, period: BillingPeriod)],
        context: BillingContext, connection: PostgresConnection
    ) throws -> [RatedDraft] {
        // Customers sharing a timezone share the period's bounds: read their usage in one query.
        var usage: [BillingPeriod: [Int64: [UsageBucket]]] = [:]
        for (period, members) in Dictionary(grouping: pairs, by: \.period) {
            let ids = members.flatMap { context.activeSubscriptions(of: $0.customer, in: period).map(\.id) }
            usage[period] = try UsageQuery.buckets(subscriptionIds: ids, period: period, connection: connection)
        }
        return pairs.map { customer, period in
            let subscriptions = context.activeSubscriptions(of: customer, in: period)
            precondition(!subscriptions.isEmpty, "\(customer.definition.externalId) has no subscription active in \(period.label)")
            var fees: [(subscriptionId: Int64, fee: DraftFee)] = []
            var unpriced: [UnpricedUsage] = []
            for subscription in subscriptions {
                let rated = SubscriptionRating.fees(
                    subscription: subscription.definition, plan: subscription.plan, startedAt: subscription.startedAt,
                    endingAt: subscription.endingAt, period: period, usage: usage[period]?[subscription.id] ?? [],
                    metrics: context.metrics)
                fees += rated.fees.map { (subscription.id, $0) }
                unpriced += rated.unpriced
            }
            let currency = customer.definition.currency ?? subscriptions[0].plan.currency
            return RatedDraft(draft: InvoiceDraft(customer: customer, period: period, currency: currency, fees: fees),
                              unpriced: unpriced)
        }
    }
}
