/// One line of an invoice before it is stored: a charge bucket, the subscription fee, a charge's
/// true-up to its spending minimum or the plan's minimum commitment fee.
public struct DraftFee: Equatable, Sendable {
    /// Stored as the fee's `fee_type`. A true-up is a charge fee in Lago's documents; it has a kind
    /// of its own so that it never pairs with its charge's default bucket (`FeeLine.Key`).
    public enum Kind: String, Codable, Sendable {
        case charge, subscription, commitment
        case chargeTrueUp = "charge_true_up"
    }

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
    /// Lago's `precise_unit_amount` and `amount_details` (the charge model's breakdown).
    public let preciseUnitAmount: ExactDecimal
    public let amountDetails: AmountDetails
    /// A charge's own `tax_codes` (its fees and its true-up's); nil for other fees, and for a charge
    /// naming none: the invoice resolves those (`InvoiceDraft.withTaxes`).
    public var taxCodes: [String]? = nil
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
    /// `FilterMatcher`, each slot aggregated by `aggregation` and priced by `ChargePricing`: the
    /// filters in plan order, then the default slot (priced with the charge's own properties).
    /// `events` are the subscription's event values, in time order, that a price charged per event
    /// needs (`ChargeProperties.needsEventValues`); others ignore them. `unmatched` are the buckets
    /// that went to the default slot, in `usage` order.
    public func rate(
        _ usage: [UsageBucket], aggregation: UsageAggregation, events: [UsageEventValue] = [], currency: String
    ) throws(BillingError) -> (slots: [RatedCharge], unmatched: [UsageBucket]) {
        var slotBuckets = Array(repeating: [UsageBucket](), count: filters.count + 1)
        var unmatched: [UsageBucket] = []
        for bucket in usage where bucket.code == billableMetricCode {
            let index = FilterMatcher.match(bucket.filterValues, filters: filters) ?? filters.count
            slotBuckets[index].append(bucket)
            if index == filters.count { unmatched.append(bucket) }
        }
        // Each event's slot, found once, for the prices charged per event (percentages with free
        // units or per-transaction bounds on a sum).
        var slotEvents: [[ExactDecimal]]?
        if aggregation.metric.aggregationType == .sumAgg, (filters.map(\.properties) + [properties]).contains(where: { $0?.needsEventValues == true }) {
            var values = Array(repeating: [ExactDecimal](), count: filters.count + 1)
            for event in events where event.code == billableMetricCode {
                values[FilterMatcher.match(event.filterValues, filters: filters) ?? filters.count].append(event.units)
            }
            slotEvents = values
        }
        var slots: [RatedCharge] = []
        for (index, buckets) in slotBuckets.enumerated() {
            let price = index < filters.count ? filters[index].properties : properties
            let (units, count) = try aggregation.aggregate(buckets)
            var values = EventValues.unavailable
            if price?.needsEventValues == true {
                // As Lago's aggregations give them: 1 per event for counts, each value for sums,
                // none for the others (their free units are 0; per-transaction bounds cannot apply).
                switch aggregation.metric.aggregationType {
                case .countAgg, .uniqueCountAgg: values = .ones(count)
                case .sumAgg: values = .values(slotEvents?[index] ?? [])
                case .maxAgg, .latestAgg, .weightedSumAgg: values = .unavailable
                }
            }
            slots.append(try ChargePricing.rate(
                SlotUsage(units: units, eventsCount: count, eventValues: values), properties: price, currency: currency))
        }
        return (slots, unmatched)
    }
}

extension Plan {
    /// The metrics whose event values a charge of this plan prices one by one (a percentage with
    /// free units or per-transaction bounds): close reads those events, and no others.
    public var metricsPricedPerEvent: Set<String> {
        Set(charges.filter { charge in
            charge.properties?.needsEventValues == true || charge.filters.contains { $0.properties.needsEventValues }
        }.map(\.billableMetricCode))
    }
}

/// Rates one subscription for one month's invoice: its charges, bucket by bucket, and its fixed fee,
/// each when its period ends with that month.
public enum SubscriptionRating {
    /// The part of `period` a subscription's charges bill: from its start, to its end.
    public static func chargesWindow(
        period: BillingPeriod, startedAt: UTCInstant, endingAt: UTCInstant?
    ) -> (from: UTCInstant, to: UTCInstant) {
        chargesWindow(period: PlanPeriod(month: period), startedAt: startedAt, endingAt: endingAt)
    }

    /// The part of a plan's `period` a subscription is live: from its start, to its end.
    public static func chargesWindow(
        period: PlanPeriod, startedAt: UTCInstant, endingAt: UTCInstant?
    ) -> (from: UTCInstant, to: UTCInstant) {
        (max(period.from, startedAt), endingAt.map { min(period.to, $0) } ?? period.to)
    }

    /// What the invoice of `month` bills of a subscription on `plan` (docs/BILLING.md, plan
    /// intervals): the fixed fee of its period and the charges of theirs, each when that period ends
    /// with `month`, or when the subscription ends within `month` (its last invoice); nil for either
    /// when not due. A monthly plan bills both every month.
    public static func due(
        plan: Plan, month: BillingPeriod, endingAt: UTCInstant?
    ) -> (fee: PlanPeriod?, charges: PlanPeriod?) {
        let endsInMonth = endingAt.map(month.contains) ?? false
        let fee = plan.feePeriod(containing: month)
        let charges = plan.chargesPeriod(containing: month)
        return (fee.last == month || endsInMonth ? fee : nil, charges.last == month || endsInMonth ? charges : nil)
    }

    /// The fees of a subscription on the invoice of `period` (a calendar month), with the usage no
    /// charge priced. `usage` holds its buckets of every month of the charges' period (`due`); nil
    /// when nothing of it is due this month.
    ///
    /// `initialStartedAt` is where a trial counts from (the first part's start, when the subscription
    /// changed plan); `superseded` says a change of plan ended it, so the new plan bills the day of
    /// the change (Lago's upgrade).
    public static func fees(
        subscription: Subscription, plan: Plan, startedAt: UTCInstant, endingAt: UTCInstant?,
        period month: BillingPeriod, usage: [UsageBucket], events: [UsageEventValue] = [], metrics: [String: BillableMetric],
        initialStartedAt: UTCInstant? = nil, superseded: Bool = false, advance: AdvanceBilling = .none
    ) throws(BillingError) -> (fees: [DraftFee], unpriced: [UnpricedUsage])? {
        let due = due(plan: plan, month: month, endingAt: endingAt)
        guard due.fee != nil || due.charges != nil else { return nil }
        return try fees(subscription: subscription, plan: plan, startedAt: startedAt, endingAt: endingAt, due: due,
                        advanceMonth: month, usage: usage, events: events, metrics: metrics,
                        initialStartedAt: initialStartedAt, superseded: superseded, advance: advance)
    }

    /// The fees of a subscription for one dated period of its charges (a week, an anniversary
    /// period) on the invoice of its billing day, with the fixed fee of `fee` (nil: no fee due then;
    /// a plan billing its charges monthly bills the fee of its year with the last month).
    public static func fees(
        subscription: Subscription, plan: Plan, startedAt: UTCInstant, endingAt: UTCInstant?,
        dated period: DatedPeriod, fee: DatedPeriod?, usage: [UsageBucket], events: [UsageEventValue] = [],
        metrics: [String: BillableMetric], initialStartedAt: UTCInstant? = nil
    ) throws(BillingError) -> (fees: [DraftFee], unpriced: [UnpricedUsage]) {
        let due = (fee: fee.map(PlanPeriod.init(dated:)), charges: PlanPeriod(dated: period))
        return try fees(subscription: subscription, plan: plan, startedAt: startedAt, endingAt: endingAt, due: due,
                        advanceMonth: nil, usage: usage, events: events, metrics: metrics,
                        initialStartedAt: initialStartedAt, superseded: false, advance: .none)
    }

    /// The fees of the periods `due` (nil: not billed now). `advanceMonth` is the calendar month whose
    /// invoice bills the next month's fee ahead, for a plan paid in advance.
    private static func fees(
        subscription: Subscription, plan: Plan, startedAt: UTCInstant, endingAt: UTCInstant?,
        due: (fee: PlanPeriod?, charges: PlanPeriod?), advanceMonth: BillingPeriod?, usage: [UsageBucket],
        events: [UsageEventValue], metrics: [String: BillableMetric], initialStartedAt: UTCInstant?, superseded: Bool,
        advance: AdvanceBilling
    ) throws(BillingError) -> (fees: [DraftFee], unpriced: [UnpricedUsage]) {
        var fees: [DraftFee] = []
        var unpriced: [UnpricedUsage] = []

        for charge in plan.charges {
            guard let period = due.charges else { break }
            let (from, to) = chargesWindow(period: period, startedAt: startedAt, endingAt: endingAt)
            guard let metric = metrics[charge.billableMetricCode] else {
                throw BillingError("plan \(plan.code) charges metric \(charge.billableMetricCode), which is not stored")
            }
            let (slots, unmatched) = try charge.rate(
                usage, aggregation: UsageAggregation(metric: metric, period: period, from: from, to: to), events: events,
                currency: plan.currency)
            if charge.properties == nil {
                unpriced += unmatched.filter { $0.units != .zero }.map { bucket in
                    UnpricedUsage(externalSubscriptionId: subscription.externalId, metricCode: charge.billableMetricCode,
                                  filterValues: bucket.filterValues, units: bucket.units)
                }
            }
            var trueUp: DraftFee?
            for (index, rated) in slots.enumerated() {
                let filter = index < charge.filters.count ? charge.filters[index] : nil
                var fee = DraftFee(
                    kind: .charge, externalSubscriptionId: subscription.externalId,
                    itemCode: charge.billableMetricCode, itemName: metric.name,
                    invoiceDisplayName: charge.invoiceDisplayName ?? metric.name,
                    filterInvoiceDisplayName: filter?.invoiceDisplayName, filters: filter?.values,
                    units: rated.units, eventsCount: rated.eventsCount, preciseAmount: rated.preciseAmount,
                    amountCents: rated.amountCents, unpriced: rated.unpriced, from: from, to: to,
                    preciseUnitAmount: rated.preciseUnitAmount, amountDetails: rated.amountDetails)
                fee.taxCodes = charge.taxCodes
                if filter == nil {
                    trueUp = try Self.trueUp(of: charge, slots: slots, parent: fee, period: period, currency: plan.currency,
                                             endDayBilledByNext: superseded && endingAt.map { $0 <= period.to } == true)
                }
                // A true-up's parent (the default slot) stays on the invoice even when empty, as in Lago.
                if rated.units == .zero, rated.amountCents == 0, rated.eventsCount == 0, trueUp == nil { continue }
                fees.append(fee)
            }
            if var trueUp {
                trueUp.taxCodes = charge.taxCodes
                fees.append(trueUp)
            }
        }

        guard let period = due.fee else { return (fees, unpriced) }
        let (from, to) = chargesWindow(period: period, startedAt: startedAt, endingAt: endingAt)
        let feeCents = try SubscriptionFee.amountCents(
            planAmountCents: plan.amountCents, period: period, startedAt: startedAt, endingAt: endingAt,
            trialEnd: plan.trialEnd(startedAt: initialStartedAt ?? startedAt), endDayBilledByNext: superseded)
        // A fee billed ahead (pay in advance) is not billed again in arrears.
        if feeCents > 0, !advance.periodFeeBilled {
            fees.append(planFee(subscription: subscription, plan: plan, cents: feeCents, from: from, to: to))
        }
        if let month = advanceMonth,
           let ahead = try advanceFee(subscription: subscription, plan: plan, startedAt: startedAt, endingAt: endingAt,
                                      period: month, advance: advance) {
            fees.append(ahead)
        }
        if let commitment = try commitmentFee(
            plan: plan, externalSubscriptionId: subscription.externalId, fees: fees, from: from, to: to, period: period) {
            fees.append(commitment)
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
