import TallyCore
import TallyStore

/// A customer's invoice of one billing day: the dated periods of its subscriptions (weekly plans,
/// anniversary billing) billed that day (docs/BILLING.md, weekly plans and anniversary billing).
struct DatedInvoice {
    /// A subscription's period of charges billed on the day (the period of its fee too, unless its
    /// plan bills the charges monthly).
    struct Part {
        let subscription: StoredCatalog.SubscriptionRecord
        let period: DatedPeriod
    }

    let customer: StoredCatalog.CustomerRecord
    /// The local date it is issued on, as days since 1970-01-01.
    let day: Int
    let parts: [Part]

    /// `YYYY-MM-DD`: the period label it is stored and filed under.
    var label: String { DatedPeriod.label(ofDay: day) }
}

extension CloseStage {
    /// The invoices of `customers`' dated periods whose billed parts all ended before `limit`, in
    /// billing-day order, then customer order, so that invoice numbers are assigned deterministically.
    static func datedInvoices(
        of customers: [StoredCatalog.CustomerRecord], catalog: StoredCatalog, endedBefore limit: UTCInstant
    ) -> [DatedInvoice] {
        var invoices: [DatedInvoice] = []
        for customer in customers {
            var byDay: [Int: [DatedInvoice.Part]] = [:]
            for subscription in catalog.subscriptions(of: customer) {
                guard let schedule = catalog.chargesSchedule(of: subscription) else { continue }
                for (period, day) in parts(of: subscription, schedule: schedule, endedBefore: limit) {
                    byDay[day, default: []].append(DatedInvoice.Part(subscription: subscription, period: period))
                }
            }
            invoices += byDay.map { DatedInvoice(customer: customer, day: $0.key, parts: $0.value) }
        }
        return invoices.sorted { ($0.day, $0.customer.sequentialId) < ($1.day, $1.customer.sequentialId) }
    }

    /// `customer`'s invoice of billing day `day` as the catalog has it now; nil when nothing of it
    /// is billed that day.
    static func datedInvoice(of customer: StoredCatalog.CustomerRecord, day: Int, catalog: StoredCatalog) -> DatedInvoice? {
        var parts: [DatedInvoice.Part] = []
        for subscription in catalog.subscriptions(of: customer) {
            guard let schedule = catalog.chargesSchedule(of: subscription) else { continue }
            for (period, billed) in Self.parts(of: subscription, schedule: schedule, endedBefore: .latest, throughDay: day)
            where billed == day {
                parts.append(DatedInvoice.Part(subscription: subscription, period: period))
            }
        }
        return parts.isEmpty ? nil : DatedInvoice(customer: customer, day: day, parts: parts)
    }

    /// The periods of `subscription` from the one it starts in, each with its billing day, as long
    /// as the part of it the subscription is live ended before `limit` (and the period starts by
    /// `throughDay`, when given).
    private static func parts(
        of subscription: StoredCatalog.SubscriptionRecord, schedule: BillingSchedule, endedBefore limit: UTCInstant,
        throughDay: Int? = nil
    ) -> [(period: DatedPeriod, day: Int)] {
        guard var period = schedule.period(containing: subscription.startedAt) else { return [] }
        var parts: [(DatedPeriod, Int)] = []
        while subscription.endingAt.map({ period.from <= $0 }) ?? true, throughDay.map({ period.firstDay <= $0 }) ?? true {
            let end = min(period.to, subscription.endingAt ?? period.to)
            guard end < limit else { break }
            parts.append((period, period.billingDay(endingAt: subscription.endingAt)))
            guard let next = schedule.period(after: period) else { break }
            period = next
        }
        return parts
    }

    /// Rates each dated invoice from its subscriptions' stored events (the monthly rollups cannot
    /// serve periods that do not start on the 1st), each subscription with its plan in
    /// `plans(customer id)` or else its plan's current version. An invoice whose usage or fees have no
    /// exact billable value is returned apart, with why.
    static func rate(
        _ invoices: [DatedInvoice], catalog: StoredCatalog, store: Store, plans: (Int64) -> [Int64: RatingPlan] = { _ in [:] }
    ) throws -> (rated: [RatedDraft], notIssued: [NotIssued]) {
        guard !invoices.isEmpty else { return ([], []) }
        let metrics = catalog.ingestCatalog.metrics
        let recurring = catalog.recurringMetricCodes
        var rated: [RatedDraft] = []
        var notIssued: [NotIssued] = []
        for invoice in invoices {
            try Interruption.check()
            let chosen = plans(invoice.customer.id)
            var fees: [InvoiceDraft.Line] = []
            var unpriced: [UnpricedUsage] = []
            var used: [Int64: RatingPlan] = [:]
            var billed: [Int64: BilledPeriod] = [:]
            do {
                for part in invoice.parts {
                    let subscription = part.subscription
                    let plan = chosen[subscription.id] ?? subscription.currentRatingPlan
                    var usage = PeriodUsage(from: part.period.from)
                    try store.events.forEachEvent(subscriptionId: subscription.id, from: part.period.from, to: part.period.to,
                                                  recurringCodes: recurring.sorted()) { event, arrival in
                        guard let metric = metrics[event.code] else { return }
                        try usage.add(event, metric: metric, recurring: recurring.contains(event.code), arrival: arrival)
                    }
                    let window = SubscriptionRating.chargesWindow(period: PlanPeriod(dated: part.period),
                                                                  startedAt: subscription.startedAt, endingAt: subscription.endingAt)
                    var events: [UsageEventValue] = []
                    for code in plan.definition.metricsPricedPerEvent.sorted() {
                        let metric = catalog.metricDefinitions[code]
                        events += try store.events.values(
                            subscriptionId: subscription.id, code: code,
                            from: metric?.recurring == true ? subscription.startedAt : window.from, to: window.to,
                            filterKeys: Set(metric?.filters.map(\.key) ?? []))
                    }
                    // The fee's period, billed with the charges' period it ends with (or the last one).
                    let feePeriod = catalog.schedule(of: subscription)?.period(containingDay: part.period.firstDay)
                    let ends = subscription.endingAt.map { $0 <= part.period.to } ?? false
                    let fee = feePeriod.flatMap { $0.lastDay == part.period.lastDay || ends ? $0 : nil }
                    let rating = try SubscriptionRating.fees(
                        subscription: subscription.definition, plan: plan.definition, startedAt: subscription.startedAt,
                        endingAt: subscription.endingAt, dated: part.period, fee: fee, usage: usage.usage, events: events,
                        metrics: catalog.metricDefinitions, initialStartedAt: subscription.initialStartedAt)
                    used[subscription.id] = plan
                    let feeWindow = SubscriptionRating.chargesWindow(period: PlanPeriod(dated: fee ?? part.period),
                                                                     startedAt: subscription.startedAt, endingAt: subscription.endingAt)
                    billed[subscription.id] = BilledPeriod(subscriptionFrom: feeWindow.from, subscriptionTo: feeWindow.to,
                                                           chargesFrom: window.from, chargesTo: window.to)
                    fees += rating.fees.map { InvoiceDraft.Line(subscriptionId: subscription.id, fee: $0) }
                    unpriced += rating.unpriced
                }
                guard let first = invoice.parts.first else { continue }
                let currency = invoice.customer.definition.currency ?? (used[first.subscription.id] ?? first.subscription.currentRatingPlan).definition.currency
                let from = billed.values.map(\.subscriptionFrom).min() ?? first.period.from
                let to = billed.values.map(\.subscriptionTo).max() ?? first.period.to
                let draft = try InvoiceDraft(customer: invoice.customer, billingDay: invoice.day, from: from, to: to, currency: currency,
                                             fees: fees, plans: used, billed: billed)
                rated.append(RatedDraft(draft: draft.withTaxes(from: catalog), unpriced: unpriced))
            } catch let error as BillingError {
                notIssued.append(NotIssued(customer: invoice.customer.externalId, period: invoice.label, reason: error.description))
            }
        }
        return (rated, notIssued)
    }
}

extension UTCInstant {
    /// Later than any instant Tally reads.
    static let latest = UTCInstant(microsecondsSinceEpoch: .max)
}
