/// One line of an invoice before it is stored: a charge bucket or the subscription fee.
public struct DraftFee: Equatable, Sendable {
    public enum Kind: String, Codable, Sendable { case charge, subscription }

    public let kind: Kind
    public let externalSubscriptionId: String
    /// Metric code for charges, plan code for the subscription fee.
    public let itemCode: String
    public let itemName: String
    public let invoiceDisplayName: String?
    public let filterInvoiceDisplayName: String?
    /// The charge filter's values (key → allowed values), nil for a default bucket and the subscription fee.
    public let filters: [FilterCondition]?
    public let units: ExactDecimal
    public let eventsCount: Int
    public let preciseAmount: ExactDecimal
    public let amountCents: Int64
    public let unpriced: Bool
    public let from: UTCInstant
    public let to: UTCInstant
}

/// Usage billed at price 0 because it fell into a default bucket without properties (docs/BILLING.md,
/// rating).
public struct UnpricedUsage: Equatable, Sendable {
    public let externalSubscriptionId: String
    public let metricCode: String
    public let filterValues: [String: String]
    public let units: ExactDecimal
}

extension Charge {
    /// `usage` (a subscription's buckets of a period, any metric) sorted into this charge's filters by
    /// `FilterMatcher` and each slot priced by `ChargePricing`: the filters in plan order, then the
    /// default slot (priced with the charge's own properties). `unmatched` are the buckets that went
    /// to the default slot, in `usage` order.
    public func rate(_ usage: [UsageBucket], currency: String) throws(BillingError) -> (slots: [RatedCharge], unmatched: [UsageBucket]) {
        var units = Array(repeating: ExactDecimal.zero, count: filters.count + 1)
        var counts = Array(repeating: 0, count: filters.count + 1)
        var unmatched: [UsageBucket] = []
        for bucket in usage where bucket.code == billableMetricCode {
            let index = FilterMatcher.match(bucket.filterValues, filters: filters) ?? filters.count
            guard let sum = units[index].adding(bucket.units) else {
                throw .tooLarge("the units of metric \(billableMetricCode) (\(units[index]) + \(bucket.units))")
            }
            units[index] = sum
            counts[index] += bucket.eventsCount
            if index == filters.count { unmatched.append(bucket) }
        }
        var slots: [RatedCharge] = []
        for index in units.indices {
            let price = index < filters.count ? filters[index].properties : properties
            // Buckets keep sums and counts only, not each event's value.
            if price?.needsEventValues == true {
                throw BillingError(
                    "the percentage charge of metric \(billableMetricCode) has free units or per-transaction "
                        + "bounds, which need each event's value: not supported yet")
            }
            slots.append(try ChargePricing.rate(
                SlotUsage(units: units[index], eventsCount: counts[index], eventValues: .unavailable),
                properties: price, currency: currency))
        }
        return (slots, unmatched)
    }
}

/// Rates one subscription for one period: its charges, bucket by bucket, and its fixed fee.
public enum SubscriptionRating {
    public static func fees(
        subscription: Subscription, plan: Plan, startedAt: UTCInstant, endingAt: UTCInstant?,
        period: BillingPeriod, usage: [UsageBucket], metrics: [String: BillableMetric]
    ) throws(BillingError) -> (fees: [DraftFee], unpriced: [UnpricedUsage]) {
        let from = max(period.from, startedAt)
        let to = endingAt.map { min(period.to, $0) } ?? period.to
        var fees: [DraftFee] = []
        var unpriced: [UnpricedUsage] = []

        for charge in plan.charges {
            let metric = metrics[charge.billableMetricCode]
            let (slots, unmatched) = try charge.rate(usage, currency: plan.currency)
            if charge.properties == nil {
                unpriced += unmatched.filter { $0.units != .zero }.map { bucket in
                    UnpricedUsage(externalSubscriptionId: subscription.externalId, metricCode: charge.billableMetricCode,
                                  filterValues: bucket.filterValues, units: bucket.units)
                }
            }
            for (index, rated) in slots.enumerated() {
                let filter = index < charge.filters.count ? charge.filters[index] : nil
                if rated.units == .zero, rated.amountCents == 0, rated.eventsCount == 0 { continue }
                fees.append(DraftFee(
                    kind: .charge, externalSubscriptionId: subscription.externalId,
                    itemCode: charge.billableMetricCode, itemName: metric?.name ?? charge.billableMetricCode,
                    invoiceDisplayName: charge.invoiceDisplayName ?? metric?.name,
                    filterInvoiceDisplayName: filter?.invoiceDisplayName, filters: filter?.values,
                    units: rated.units, eventsCount: rated.eventsCount, preciseAmount: rated.preciseAmount,
                    amountCents: rated.amountCents, unpriced: rated.unpriced, from: from, to: to))
            }
        }

        let feeCents = try SubscriptionFee.amountCents(planAmountCents: plan.amountCents, period: period, subscriptionStart: startedAt)
        if feeCents > 0 {
            let scale = Currency.minorUnitScale(currency: plan.currency) ?? 2
            fees.append(DraftFee(
                kind: .subscription, externalSubscriptionId: subscription.externalId,
                itemCode: plan.code, itemName: plan.name, invoiceDisplayName: plan.name,
                filterInvoiceDisplayName: nil, filters: nil, units: ExactDecimal(1), eventsCount: 0,
                preciseAmount: ExactDecimal(significand: Int128(feeCents), scale: scale),
                amountCents: feeCents, unpriced: false, from: from, to: to))
        }
        return (fees, unpriced)
    }
}

extension UnpricedUsage {
    /// How close and reprocess report usage no charge prices.
    public var json: JSONValue {
        [
            "external_subscription_id": .string(externalSubscriptionId),
            "metric": .string(metricCode),
            "values": .object(JSONObject(filterValues.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
            "units": .string(units.description),
        ]
    }
}
