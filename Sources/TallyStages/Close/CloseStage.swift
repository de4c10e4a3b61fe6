import TallyCore
import TallyOutputs
import TallyStore

/// `tally close`: rates closed periods from the usage rollups and issues one invoice per
/// customer and period, with its fees and wallet debits, in one transaction each batch; then
/// writes the invoice JSON files and the period's summary.csv from what was committed.
public struct CloseStage {
    let store: Store
    let outDirectory: String

    public init(database: TallyDatabase, outDirectory: String) {
        self.store = database.store
        self.outDirectory = outDirectory
    }

    /// Closes the periods of `scope`. Without `backfill`, a close that would issue more than one
    /// invoice for a customer (its history reaches further back than the last period) refuses,
    /// saying how many it would issue: a catalog with old `subscription_at` dates would otherwise
    /// bill every month since then.
    public func close(_ scope: CloseScope, now: UTCInstant, backfill: Bool = true) throws -> CloseSummary {
        let catalog = try store.catalog.load()
        var summary = CloseSummary()
        let pairs = Self.periodsToClose(scope, catalog: catalog, now: now, summary: &summary)
        let live = try store.invoices.livePeriods()
        let open = pairs.filter { customer, period in
            guard !catalog.activeSubscriptions(of: customer, in: period).isEmpty else { return false }
            if live[customer.id]?.contains(period.label) == true {
                summary.alreadyClosed.append("\(customer.externalId) \(period.label)")
                return false
            }
            return true
        }
        // Weekly plans and anniversary billing: their periods' invoices, issued on their billing days.
        var ended: [DatedInvoice] = []
        if case .endedBefore(let asOf) = scope {
            ended = Self.datedInvoices(of: catalog.customers, catalog: catalog, endedBefore: min(asOf, now))
        }
        let dated = ended.filter { invoice in
            guard live[invoice.customer.id]?.contains(invoice.label) != true else {
                summary.alreadyClosed.append("\(invoice.customer.externalId) \(invoice.label)")
                return false
            }
            return true
        }
        if !backfill {
            let perCustomer = Dictionary(grouping: open.map(\.0.id) + dated.map(\.customer.id), by: { $0 })
            let labels = (open.map(\.1.label) + dated.map(\.label)).sorted()
            if perCustomer.values.contains(where: { $0.count > 1 }), let first = labels.first, let last = labels.last {
                throw BackfillNeeded(invoices: labels.count, customers: perCustomer.count, from: first, to: last)
            }
        }
        // Start invoices and fees billed ahead exist only where a plan was ever paid in advance.
        let starts = try store.catalog.anyPlanEverPaidInAdvance()
            ? try issueStartInvoices(scope, catalog: catalog, now: now, summary: &summary)
            : (periods: [], numbers: [])
        var (rated, unrated) = try Self.rate(open, catalog: catalog, store: store)
        let (ratedDated, unratedDated) = try Self.rate(dated, catalog: catalog, store: store)
        rated += ratedDated
        summary.notIssued += unrated + unratedDated
        summary.unpriced = rated.flatMap(\.unpriced)
        // Each batch's files are written on another thread while the next batch is issued; what
        // is left (files of earlier closes gone missing or stale, the summaries) comes after.
        let writing = BackgroundWork<[String]>()
        let outDirectory = outDirectory
        do {
            summary.issued += try issue(rated.map(\.draft), catalog: catalog, notIssued: &summary.notIssued) { numbers in
                let invoices = try store.invoices.records(numbers: numbers)
                writing.submit { try InvoiceFileWriter.write(invoices, catalog: catalog, outDirectory: outDirectory) }
            }
        } catch {
            _ = try? writing.results()
            throw error
        }
        // The invoices are committed: a file that cannot be written is reported, and written by
        // the next close, which rewrites whatever is missing.
        let files = InvoiceFileWriter(store: store, catalog: catalog, outDirectory: outDirectory)
        do {
            summary.filesWritten = try writing.results().flatMap { $0 }
            summary.filesWritten += try files.write(periods: Set(pairs.map(\.1.label) + starts.periods + ended.map(\.label)).sorted(),
                                                    except: Set(summary.issued.map(\.number)).subtracting(starts.numbers))
            // Credit notes whose credit these invoices took: their balances changed.
            summary.filesWritten += try CreditNoteStage.writeFiles(
                numbers: try store.creditNotes.numbers(creditedOn: summary.issued.map(\.number)), store: store, outDirectory: outDirectory)
        } catch let error as OutputError {
            summary.fileFailure = error.description
        }
        summary.latePeriods = try store.usage.lateSinceInvoiced()
        return summary
    }

    /// Rates each (customer, period) pair from the usage rollups with the current catalog, each
    /// subscription with its plan in `plans(customer id)` (by subscription id) or else its plan's
    /// current version; a pair whose usage or fees have no exact billable value is returned apart,
    /// with why. The usage is read `Tuning.closeRatingCustomers` pairs at a time, so memory does not
    /// grow with the customers (unique-count metrics bring their distinct values).
    static func rate(
        _ pairs: [(customer: StoredCatalog.CustomerRecord, period: BillingPeriod)], catalog: StoredCatalog, store: Store,
        plans: (Int64) -> [Int64: RatingPlan] = { _ in [:] }
    ) throws -> (rated: [RatedDraft], notIssued: [NotIssued]) {
        var rated: [RatedDraft] = []
        var notIssued: [NotIssued] = []
        var billedAhead = BilledAhead()
        let paidInAdvance = try store.catalog.anyPlanEverPaidInAdvance()
        CrashPoint.closeRating.reach()
        for start in stride(from: 0, to: pairs.count, by: Tuning.closeRatingCustomers) {
            let chunk = pairs[start..<min(start + Tuning.closeRatingCustomers, pairs.count)]
            // Each subscription's usage over its charges' period (the month, or the quarter, half-year or
            // year it ends). A rollup's month is the month in its customer's timezone: one query per
            // invoice month and span serves every timezone.
            struct Span: Hashable { let month: CalendarMonth; let months: ClosedRange<CalendarMonth> }
            var spans: [Span: [Int64]] = [:]
            for (customer, period) in chunk {
                let chosen = plans(customer.id)
                for subscription in catalog.activeSubscriptions(of: customer, in: period) {
                    let plan = (chosen[subscription.id] ?? subscription.currentRatingPlan).definition
                    let charges = chargesPeriod(of: subscription, plan: plan, month: period).months
                    let first = charges.first?.calendarMonth ?? period.calendarMonth, last = charges.last?.calendarMonth ?? first
                    spans[Span(month: period.calendarMonth, months: first...last), default: []].append(subscription.id)
                }
            }
            var usage: [CalendarMonth: UsageStore.MonthUsage] = [:]
            for (span, ids) in spans {
                let read = try store.usage.buckets(subscriptionIds: ids, months: span.months, recurringCodes: catalog.recurringMetricCodes)
                usage[span.month, default: UsageStore.MonthUsage()].buckets.merge(read.buckets) { $0 + $1 }
                usage[span.month, default: UsageStore.MonthUsage()].unreadable.merge(read.unreadable) { first, _ in first }
            }
            // What earlier invoices billed ahead, per month.
            var advance: [CalendarMonth: [Int64: AdvanceBilling]] = [:]
            for (month, members) in Dictionary(grouping: chunk, by: \.period.calendarMonth) where paidInAdvance {
                let ids = members.flatMap { catalog.activeSubscriptions(of: $0.customer, in: $0.period).map(\.id) }
                advance[month] = try advanceBilling(of: ids, month: month, store: store)
            }
            for (offset, (customer, period)) in chunk.enumerated() {
                if offset % 256 == 0 { try Interruption.check() }
                let month = usage[period.calendarMonth] ?? UsageStore.MonthUsage()
                do {
                    let subscriptions = catalog.activeSubscriptions(of: customer, in: period)
                    for subscription in subscriptions {
                        if let reason = month.unreadable[subscription.id] {
                            throw BillingError("subscription \(subscription.externalId): \(reason)")
                        }
                    }
                    let chosen = plans(customer.id)
                    let events = try eventValues(of: subscriptions, plans: chosen, period: period, catalog: catalog, store: store)
                    if let draft = try InvoiceDraft.rate(customer: customer, period: period, catalog: catalog, usage: month.buckets,
                                                         events: events, plans: chosen,
                                                         advance: billedAhead.adding(to: advance[period.calendarMonth] ?? [:], period: period)) {
                        billedAhead.record(draft.draft)
                        rated.append(draft)
                    }
                } catch let error as BillingError {
                    notIssued.append(NotIssued(customer: customer.externalId, period: period.label, reason: error.description))
                }
            }
        }
        return (rated, notIssued)
    }

    /// The period of `subscription`'s charges that the invoice of `month` bills: the plan's (`due`),
    /// or the month itself when they are not due then.
    static func chargesPeriod(of subscription: StoredCatalog.SubscriptionRecord, plan: Plan, month: BillingPeriod) -> PlanPeriod {
        SubscriptionRating.due(plan: plan, month: month, endingAt: subscription.endingAt).charges ?? PlanPeriod(month: month)
    }

    /// The event values, in time order, of the metrics that `subscriptions`' plans (in `plans`, by
    /// subscription id, else the current one) price per event (`Plan.metricsPricedPerEvent`), by
    /// subscription id: the only events close reads. Within the charges' part of their period that
    /// the invoice of `period` bills; for a recurring metric, since the subscription began.
    static func eventValues(
        of subscriptions: [StoredCatalog.SubscriptionRecord], plans: [Int64: RatingPlan] = [:], period: BillingPeriod,
        catalog: StoredCatalog, store: Store
    ) throws -> [Int64: [UsageEventValue]] {
        var values: [Int64: [UsageEventValue]] = [:]
        for subscription in subscriptions {
            let plan = (plans[subscription.id] ?? subscription.currentRatingPlan).definition
            let codes = plan.metricsPricedPerEvent
            guard !codes.isEmpty else { continue }
            let window = SubscriptionRating.chargesWindow(
                period: chargesPeriod(of: subscription, plan: plan, month: period), startedAt: subscription.startedAt,
                endingAt: subscription.endingAt)
            for code in codes.sorted() {
                let metric = catalog.metricDefinitions[code]
                values[subscription.id, default: []] += try store.events.values(
                    subscriptionId: subscription.id, code: code, from: metric?.recurring == true ? subscription.startedAt : window.from,
                    to: window.to, filterKeys: Set(metric?.filters.map(\.key) ?? []))
            }
        }
        return values
    }

    /// Issues `drafts` batch by batch, each batch numbered, settled and written in one
    /// transaction, then calls `committed` with its invoice numbers. A draft whose settlement has no
    /// exact value is left out and added to `notIssued`.
    func issue(
        _ drafts: [InvoiceDraft], catalog: StoredCatalog, notIssued: inout [NotIssued], committed: ([String]) throws -> Void
    ) throws -> [IssuedInvoice] {
        var issued: [IssuedInvoice] = []
        for start in stride(from: 0, to: drafts.count, by: Tuning.closeBatchSize) {
            let batch = drafts[start..<min(start + Tuning.closeBatchSize, drafts.count)]
            try Interruption.check()
            let (invoices, unsettled) = try store.transaction { try Self.insert(Array(batch), catalog: catalog, store: store) }
            CrashPoint.closeAfterBatch.reach()
            notIssued += unsettled
            issued += invoices.map(\.summary)
            try committed(invoices.map(\.number))
        }
        return issued
    }

    /// Numbers, settles and stores `drafts` inside the caller's transaction, each with its
    /// customer's next number and the wallet credits left at that point of the transaction. Drafts
    /// whose settlement has no exact value are returned apart, unnumbered.
    static func insert(
        _ drafts: [InvoiceDraft], catalog: StoredCatalog, store: Store
    ) throws -> (issued: [IssuedDraft], notIssued: [NotIssued]) {
        let customerIds = Array(Set(drafts.map(\.customer.id)))
        let credits = catalog.appliedCoupons.isEmpty ? [:] : try store.invoices.couponCredits(customerIds: customerIds)
        var issuer = InvoiceIssuer(prefix: catalog.documentNumberPrefix,
                                   lastSequences: try store.invoices.lastSequences(customerIds: customerIds),
                                   wallets: try store.wallets.balances(customerIds: customerIds),
                                   coupons: Dictionary(customerIds.map { ($0, catalog.couponBalances(of: $0, credits: credits)) },
                                                       uniquingKeysWith: { $1 }),
                                   creditNotes: try store.creditNotes.balances(customerIds: customerIds))
        var issued: [IssuedDraft] = []
        var notIssued: [NotIssued] = []
        for draft in drafts {
            do {
                issued.append(try issuer.issue(draft))
            } catch {
                notIssued.append(NotIssued(customer: draft.customer.externalId, period: draft.label, reason: error.description))
            }
        }
        try store.invoices.insert(issued)
        return (issued, notIssued)
    }

    /// (customer, period) pairs in scope, in period order then customer order, so invoice numbers
    /// are assigned deterministically.
    private static func periodsToClose(
        _ scope: CloseScope, catalog: StoredCatalog, now: UTCInstant, summary: inout CloseSummary
    ) -> [(StoredCatalog.CustomerRecord, BillingPeriod)] {
        var pairs: [(StoredCatalog.CustomerRecord, BillingPeriod)] = []
        for customer in catalog.customers {
            switch scope {
            case .month(let year, let month):
                guard let period = BillingPeriod(year: year, month: month, timezone: customer.billingTimezone) else { continue }
                if period.to >= now {
                    summary.notEnded.append("\(customer.externalId) \(period.label) (ends \(period.to))")
                    continue
                }
                pairs.append((customer, period))
            case .endedBefore(let asOf):
                guard let earliest = catalog.subscriptions(of: customer).map(\.startedAt).min(),
                      var period = BillingPeriod.containing(earliest, timezone: customer.billingTimezone)
                else { continue }
                while period.to < asOf && period.to < now {
                    pairs.append((customer, period))
                    period = period.next
                }
            }
        }
        return pairs.sorted { ($0.1.year, $0.1.month, $0.0.sequentialId) < ($1.1.year, $1.1.month, $1.0.sequentialId) }
    }
}

/// A close would issue more than one invoice for some customer: it needs to be asked for.
public struct BackfillNeeded: Error, CustomStringConvertible {
    public let invoices: Int
    public let customers: Int
    public let from: String
    public let to: String

    public var description: String {
        "closing would issue \(invoices) invoice(s) for \(customers) customer(s), for periods from \(from) to \(to): "
            + "more than one period back for some customers (subscription_at dates in the past?); nothing was issued. "
            + "Pass --backfill to issue them all, or --period YYYY-MM / --as-of to choose"
    }
}
