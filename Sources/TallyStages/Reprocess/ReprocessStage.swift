import TallyCore
import TallyStore

/// Why `tally reprocess` did nothing.
public enum ReprocessError: Error, CustomStringConvertible {
    /// No customer has this external id.
    case unknownCustomer(String)
    /// No customer has a live invoice for the period.
    case periodNotClosed(String)
    /// Invoices to void were voided by someone else between reading and writing them.
    case invoicesChanged(period: String)
    /// A plan has no version 1 to rate an invoice from before plan versions were kept with.
    case firstPlanVersionMissing(plan: String)

    public var description: String {
        switch self {
        case .unknownCustomer(let id):
            "no customer has external_id \"\(id)\": check --customer against the catalog"
        case .periodNotClosed(let period):
            period.utf8.count == 7
                ? "period \(period) is not closed for any customer, so there is nothing to reprocess: run tally close --period \(period) first"
                : "no customer has an invoice of billing day \(period), so there is nothing to reprocess: check the day against "
                    + "the invoice folders, or run tally close first"
        case .invoicesChanged(let period):
            "invoices of \(period) were voided by another process while reprocessing; nothing was changed: run tally reprocess again"
        case .firstPlanVersionMissing(let plan):
            "plan \(plan) has no version 1 in plan_versions, which invoices issued before plan versions were kept are rated with: "
                + "nothing was changed; run tally reprocess --reprice to rate with its current version"
        }
    }
}

/// `tally reprocess`: re-rates a closed period from the usage rollups, which hold every stored
/// event, late ones included, with the current catalog but the plan versions the period was first
/// closed with (the current ones with `reprice`).
///
/// An invoice whose fee lines come out the same stays as it is. Every other one is replaced in one
/// transaction: the old invoice is voided (it keeps its number), the wallet credits it took are
/// returned to their wallets as inbound transactions linked to it, and a new invoice is issued with
/// the customer's next number and wallet credits applied anew. The period's files are then rewritten
/// from the store. A dry run computes the same and writes nothing. Only period invoices are
/// reprocessed: the start invoices of pay-in-advance subscriptions stay as they were issued.
public struct ReprocessStage {
    let store: Store
    let outDirectory: String

    public init(database: TallyDatabase, outDirectory: String) {
        self.store = database.store
        self.outDirectory = outDirectory
    }

    /// A live invoice as stored: its header, fee lines and the wallet credits it took.
    struct LiveInvoice {
        let record: InvoiceRecord
        let fees: [FeeLine]
        /// Credits taken net of any returned, per wallet, in the order they were taken.
        let credits: [WalletCredits]
        /// The plan each subscription was rated with, by subscription id; empty for an invoice
        /// issued before plan versions were kept.
        let plans: [Int64: RatingPlan]

        var header: InvoiceRecord.Header { record.header }
    }

    /// What reprocessing one invoice comes to: the re-rated draft, the fee lines that differ, and
    /// the amounts the new invoice would have.
    struct InvoicePlan {
        let invoice: LiveInvoice
        let draft: InvoiceDraft
        let unpriced: [UnpricedUsage]
        let changes: [FeeChange]
        let newAmounts: InvoiceAmounts
        let plans: [PlanVersionUse]
    }

    /// The plans a customer's subscriptions are re-rated with, and how the summary names them.
    struct PlanChoice {
        var plans: [Int64: RatingPlan] = [:]
        var uses: [PlanVersionUse] = []
    }

    /// One customer's invoice to re-rate: its calendar month or its billing day, the subscriptions
    /// the catalog bills in it now, and its live invoice.
    struct Pair {
        enum Scope {
            case month(BillingPeriod)
            case dated(DatedInvoice)

            func subscriptions(of customer: StoredCatalog.CustomerRecord, _ catalog: StoredCatalog) -> [StoredCatalog.SubscriptionRecord] {
                switch self {
                case .month(let period): catalog.activeSubscriptions(of: customer, in: period)
                case .dated(let invoice): invoice.parts.map(\.subscription)
                }
            }
        }

        let customer: StoredCatalog.CustomerRecord
        let scope: Scope
        let invoice: LiveInvoice

        func subscriptions(_ catalog: StoredCatalog) -> [StoredCatalog.SubscriptionRecord] {
            scope.subscriptions(of: customer, catalog)
        }
    }

    /// Reprocesses the calendar month `year`-`month` for every customer with a live invoice for it,
    /// or only for the customer whose external id is `customer`. Each subscription keeps the plan
    /// version its live invoice was rated with, unless `reprice`, which rates with the current ones.
    public func reprocess(
        year: Int, month: Int, customer externalId: String? = nil, dryRun: Bool = false, reprice: Bool = false
    ) throws -> ReprocessSummary {
        try reprocess(period: CalendarMonth(year: year, month: month).label, customer: externalId, dryRun: dryRun, reprice: reprice)
    }

    /// The same for `label`: a calendar month (`YYYY-MM`) or the billing day (`YYYY-MM-DD`) of
    /// invoices of dated periods (weekly plans, anniversary billing).
    public func reprocess(
        period label: String, customer externalId: String? = nil, dryRun: Bool = false, reprice: Bool = false
    ) throws -> ReprocessSummary {
        let month = CalendarMonth(label: label)
        let day = DatedPeriod.day(ofLabel: label)
        guard month != nil || day != nil else { throw ReprocessError.periodNotClosed(label) }
        let catalog = try store.catalog.load()
        var summary = ReprocessSummary(period: label, dryRun: dryRun, reprice: reprice)
        var customers = catalog.customers
        if let externalId {
            customers = customers.filter { $0.externalId == externalId }
            guard !customers.isEmpty else { throw ReprocessError.unknownCustomer(externalId) }
        }
        let live = try liveInvoices(period: label, catalog: catalog)
        guard !live.isEmpty else { throw ReprocessError.periodNotClosed(label) }

        var pairs: [Pair] = []
        for customer in customers {
            let scope: Pair.Scope
            if let month, let period = BillingPeriod(year: month.year, month: month.month, timezone: customer.billingTimezone) {
                scope = .month(period)
            } else if let day {
                // A customer whose subscriptions no longer bill that day has nothing left on it.
                scope = .dated(CloseStage.datedInvoice(of: customer, day: day, catalog: catalog)
                    ?? DatedInvoice(customer: customer, day: day, parts: []))
            } else {
                continue
            }
            if let invoice = live[customer.id] {
                pairs.append(Pair(customer: customer, scope: scope, invoice: invoice))
            } else if externalId != nil || !scope.subscriptions(of: customer, catalog).isEmpty {
                summary.notClosed.append(customer.externalId)
            }
        }

        let (plans, unrated) = try compare(pairs, catalog: catalog, choices: try ratingPlans(pairs, catalog: catalog, reprice: reprice))
        summary.notReprocessed = unrated
        let changed = plans.filter { !$0.changes.isEmpty }
        var issued: [Int64: IssuedInvoice] = [:]
        if !dryRun && !changed.isEmpty {
            try Interruption.check()
            let invoices = try store.transaction { try reissue(changed, catalog: catalog, period: label) }
            for (plan, invoice) in zip(changed, invoices) { issued[plan.invoice.header.id] = invoice.summary }
        }
        for plan in plans {
            let invoice = plan.invoice.header
            let reissued = issued[invoice.id]
            let outcome: ReprocessedInvoice.Outcome = plan.changes.isEmpty ? .unchanged : dryRun ? .wouldReissue : .reissued
            let new = reissued.map {
                InvoiceAmounts(feesAmountCents: $0.feesAmountCents, prepaidCreditAmountCents: $0.prepaidCreditAmountCents,
                               totalAmountCents: $0.totalAmountCents)
            } ?? (plan.changes.isEmpty ? invoice.amounts : plan.newAmounts)
            summary.invoices.append(ReprocessedInvoice(
                customer: plan.draft.customer.externalId, period: label,
                currency: plan.changes.isEmpty ? invoice.currency : plan.draft.currency,
                outcome: outcome, oldNumber: invoice.number, newNumber: reissued?.number, old: invoice.amounts, new: new,
                changes: plan.changes, plans: plan.plans))
            if !plan.changes.isEmpty { summary.unpriced += plan.unpriced }
        }
        if !dryRun {
            summary.filesWritten = try InvoiceFileWriter(store: store, catalog: catalog, outDirectory: outDirectory).write(periods: [label])
            // Credit notes whose credit a voided or a new invoice took: their balances changed.
            let touched = changed.map(\.invoice.header.number) + issued.values.map(\.number)
            summary.filesWritten += try CreditNoteStage.writeFiles(
                numbers: try store.creditNotes.numbers(creditedOn: touched), store: store, outDirectory: outDirectory)
        }
        return summary
    }

    // MARK: Comparing

    /// The plan each subscription of each pair is re-rated with, by customer id. Without `reprice`,
    /// a subscription on the live invoice keeps the plan it was rated with (version 1 of its plan
    /// when the invoice was issued before versions were kept), and one not on it takes its plan's
    /// current version; with `reprice`, every subscription takes its plan's current version.
    private func ratingPlans(_ pairs: [Pair], catalog: StoredCatalog, reprice: Bool) throws -> [Int64: PlanChoice] {
        let unrecorded = pairs.filter { $0.invoice.plans.isEmpty }.flatMap { $0.subscriptions(catalog).map(\.plan.id) }
        let firstVersions = unrecorded.isEmpty ? [:] : try store.catalog.version(1, ofPlans: Array(Set(unrecorded)))
        func named(_ plan: RatingPlan) -> PlanVersionUse.Version {
            PlanVersionUse.Version(planCode: catalog.plans[plan.planId]?.definition.code ?? plan.definition.code, number: plan.version)
        }
        var choices: [Int64: PlanChoice] = [:]
        for pair in pairs {
            let invoice = pair.invoice
            var choice = PlanChoice()
            for subscription in pair.subscriptions(catalog) {
                let current = subscription.currentRatingPlan
                var firstClosed = invoice.plans[subscription.id]
                if invoice.plans.isEmpty {
                    guard let first = firstVersions[subscription.plan.id] else {
                        throw ReprocessError.firstPlanVersionMissing(plan: subscription.plan.definition.code)
                    }
                    // The subscription's overrides apply over that version, as close applied them.
                    let overrides = subscription.definition.planOverrides
                    firstClosed = RatingPlan(planId: first.planId, version: first.version,
                                             definition: first.definition.overridden(by: overrides),
                                             isVersionDefinition: overrides == nil)
                }
                let used = reprice ? current : firstClosed ?? current
                choice.plans[subscription.id] = used
                let use = PlanVersionUse(used: named(used), current: named(current), firstClosed: firstClosed.map(named), repriced: reprice)
                if !choice.uses.contains(use) { choice.uses.append(use) }
            }
            choice.uses.sort { ($0.used.planCode, $0.used.number) < ($1.used.planCode, $1.used.number) }
            choices[pair.customer.id] = choice
        }
        return choices
    }

    /// Re-rates each customer's period with the plans of `choices` and compares the result with its
    /// live invoice. An invoice whose re-rating has no exact billable value is returned apart, with why.
    private func compare(_ pairs: [Pair], catalog: StoredCatalog, choices: [Int64: PlanChoice]) throws -> (plans: [InvoicePlan], notRated: [NotIssued]) {
        var months: [(StoredCatalog.CustomerRecord, BillingPeriod)] = []
        var dated: [DatedInvoice] = []
        for pair in pairs where !pair.subscriptions(catalog).isEmpty {
            switch pair.scope {
            case .month(let period): months.append((pair.customer, period))
            case .dated(let invoice): dated.append(invoice)
            }
        }
        let plansOf = { (customerId: Int64) in choices[customerId]?.plans ?? [:] }
        let (monthDrafts, monthsNotRated) = try CloseStage.rate(months, catalog: catalog, store: store, plans: plansOf)
        let (datedDrafts, datedNotRated) = try CloseStage.rate(dated, catalog: catalog, store: store, plans: plansOf)
        let notRated = monthsNotRated + datedNotRated
        var rated: [Int64: RatedDraft] = [:]
        for draft in monthDrafts + datedDrafts { rated[draft.draft.customer.id] = draft }
        let unrated = Set(notRated.map(\.customer))
        let wallets = try store.wallets.balances(customerIds: pairs.map(\.customer.id))
        let couponCredits = catalog.appliedCoupons.isEmpty ? [:]
            : try store.invoices.couponCredits(customerIds: pairs.map(\.customer.id), excluding: pairs.map(\.invoice.header.id))
        let creditNoteBalances = try store.creditNotes.balances(customerIds: pairs.map(\.customer.id),
                                                                excluding: pairs.map(\.invoice.header.id))
        let credited = try store.creditNotes.creditedInvoices(pairs.map(\.invoice.header.id))
        var plans: [InvoicePlan] = []
        var failed = notRated
        for pair in pairs where !unrated.contains(pair.customer.externalId) {
            let (customer, invoice) = (pair.customer, pair.invoice)
            // A customer whose subscriptions no longer reach into the period has nothing left to bill.
            let rating: RatedDraft
            do {
                rating = try rated[customer.id] ?? RatedDraft(draft: emptyDraft(pair), unpriced: [])
            } catch {
                failed.append(NotIssued(customer: customer.externalId, period: invoice.header.period, reason: "\(error)"))
                continue
            }
            let draft = rating.draft
            let changes = FeeChange.between(old: invoice.fees, new: draft.fees.map { FeeLine(subscriptionId: $0.subscriptionId, fee: $0.fee) })
            do {
                // The credits and coupons are applied as the writer will apply them once the old invoice's
                // are returned.
                let balances = try (wallets[customer.id] ?? []).map { try $0.returning(invoice.credits) }
                let coupons = catalog.couponBalances(of: customer.id, credits: couponCredits)
                if !changes.isEmpty, credited.contains(invoice.header.id) {
                    throw BillingError("invoice \(invoice.header.number) has credit notes, so it is not voided and reissued: "
                        + "correct it with another credit note (tally credit-note create)")
                }
                let settlement = try draft.settle(against: balances, coupons: coupons, creditNotes: creditNoteBalances[customer.id] ?? [])
                plans.append(InvoicePlan(invoice: invoice, draft: draft, unpriced: rating.unpriced, changes: changes,
                                         newAmounts: InvoiceAmounts(settlement.totals),
                                         plans: choices[customer.id]?.uses ?? []))
            } catch {
                failed.append(NotIssued(customer: customer.externalId, period: invoice.header.period, reason: "\(error)"))
            }
        }
        return (plans, failed)
    }

    /// The invoice that replaces `pair`'s when nothing of it is billed any more.
    private func emptyDraft(_ pair: Pair) throws -> InvoiceDraft {
        let currency = pair.invoice.header.currency
        switch pair.scope {
        case .month(let period):
            return InvoiceDraft(customer: pair.customer, period: period, currency: currency, fees: [])
        case .dated(let invoice):
            let record = pair.invoice.record
            let to = record.header.periodTo ?? record.fees.map(\.to).max() ?? .latest
            return try InvoiceDraft(customer: pair.customer, billingDay: invoice.day, from: record.fees.map(\.from).min() ?? to,
                                    to: to, currency: currency, fees: [])
        }
    }

    /// The period's live invoices by customer id, with their fee lines and wallet credits.
    private func liveInvoices(period: String, catalog: StoredCatalog) throws -> [Int64: LiveInvoice] {
        let records = try store.invoices.live(period: period)
        guard !records.isEmpty else { return [:] }
        let credits = try store.wallets.creditsTaken(invoiceIds: records.map(\.header.id))
        let plans = try store.invoices.ratedPlans(invoiceIds: records.map(\.header.id))
        var invoices: [Int64: LiveInvoice] = [:]
        for record in records {
            let fees = record.fees.map { fee in
                fee.line(externalSubscriptionId: catalog.subscription(id: fee.subscriptionId)?.externalId ?? String(fee.subscriptionId))
            }
            invoices[record.header.customerId] = LiveInvoice(record: record, fees: fees, credits: credits[record.header.id] ?? [],
                                                             plans: plans[record.header.id] ?? [:])
        }
        return invoices
    }

    // MARK: Writing

    /// Voids the planned invoices, returns their credits and issues their replacements, inside the
    /// caller's transaction. Returns the new invoices in plan order.
    private func reissue(_ plans: [InvoicePlan], catalog: StoredCatalog, period: String) throws -> [IssuedDraft] {
        do {
            try store.invoices.void(plans.map { ($0.invoice.header.id, $0.invoice.header.number) },
                                    returning: Dictionary(plans.map { ($0.invoice.header.id, $0.invoice.credits) }, uniquingKeysWith: { $1 }))
        } catch is InvoiceStore.InvoicesChanged {
            throw ReprocessError.invoicesChanged(period: period)
        }
        let (issued, notIssued) = try CloseStage.insert(plans.map(\.draft), catalog: catalog, store: store)
        if let failure = notIssued.first {
            // The dry comparison settled it; a difference now leaves every invoice as it was.
            throw BillingError("\(failure.customer) \(failure.period) could not be reissued: \(failure.reason); nothing was changed")
        }
        return issued
    }
}
