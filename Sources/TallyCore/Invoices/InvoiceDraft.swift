/// An invoice rated but not yet stored: a customer's fees for one period.
public struct InvoiceDraft: Sendable {
    /// One fee and the subscription (store id) it bills.
    public struct Line: Sendable {
        public let subscriptionId: Int64
        public let fee: DraftFee
        /// The taxes it is taxed with (`InvoiceDraft.withTaxes`); none until resolved.
        public var taxes: [Tax] = []

        public init(subscriptionId: Int64, fee: DraftFee) {
            self.subscriptionId = subscriptionId
            self.fee = fee
        }
    }

    public let customer: StoredCatalog.CustomerRecord
    /// The calendar month the invoice bills; for the invoice of a billing day (dated periods), the
    /// month of that day.
    public let period: BillingPeriod
    /// The period label the invoice is stored and filed under: `YYYY-MM` for a calendar month,
    /// `YYYY-MM-DD` (the billing day) for dated periods.
    public let label: String
    /// The first and last instants it bills: the month's, or the span of its dated periods.
    public let from: UTCInstant
    public let to: UTCInstant
    public let currency: String
    public internal(set) var fees: [Line]
    /// The plan each subscription was rated with, by subscription id: what the invoice records, and
    /// what a reprocess rates with again.
    public let plans: [Int64: RatingPlan]
    /// What it bills of each subscription, by subscription id (Lago's `billing_periods`).
    public var billed: [Int64: BilledPeriod] = [:]
    /// The subscription (store id) a start invoice bills in advance; nil for a period invoice.
    public let startingSubscriptionId: Int64?
    /// `YYYY-MM-DD` in the customer's timezone: the next period's first day for a period invoice, the
    /// start's date for a start invoice.
    public let issuingDate: String

    public init(
        customer: StoredCatalog.CustomerRecord, period: BillingPeriod, currency: String, fees: [Line], plans: [Int64: RatingPlan] = [:],
        startingSubscriptionId: Int64? = nil, issuingDate: String? = nil
    ) {
        self.customer = customer
        self.period = period
        self.label = period.label
        self.from = period.from
        self.to = period.to
        self.currency = currency
        self.fees = fees
        self.plans = plans
        self.startingSubscriptionId = startingSubscriptionId
        self.issuingDate = issuingDate ?? period.issuingDate
    }

    /// The invoice of billing day `day` (days since 1970-01-01, local) for dated periods spanning
    /// `from`...`to`; it is issued on that day.
    public init(
        customer: StoredCatalog.CustomerRecord, billingDay day: Int, from: UTCInstant, to: UTCInstant, currency: String,
        fees: [Line], plans: [Int64: RatingPlan] = [:], billed: [Int64: BilledPeriod] = [:]
    ) throws(BillingError) {
        let civil = UTCInstant.civilFromDays(day)
        guard let month = BillingPeriod(year: civil.year, month: civil.month, timezone: customer.billingTimezone) else {
            throw BillingError("billing day \(DatedPeriod.label(ofDay: day)) of customer \(customer.externalId) is out of range")
        }
        self.customer = customer
        self.period = month
        self.label = DatedPeriod.label(ofDay: day)
        self.from = from
        self.to = to
        self.currency = currency
        self.fees = fees
        self.plans = plans
        self.billed = billed
        self.startingSubscriptionId = nil
        self.issuingDate = label
    }

    /// The same draft with each fee's taxes, by Lago's precedence (docs/BILLING.md, taxes): the
    /// charge's `tax_codes` (for its fees and true-up), the minimum commitment's (for its fee), the
    /// plan's, the customer's, else the taxes `applied_to_organization`.
    public func withTaxes(from catalog: StoredCatalog) -> InvoiceDraft {
        let defaults = catalog.taxes.values.map(\.definition).filter(\.appliedToOrganization).sorted { $0.code < $1.code }
        var draft = self
        for index in draft.fees.indices {
            let line = draft.fees[index]
            let plan = plans[line.subscriptionId]?.definition ?? catalog.subscription(id: line.subscriptionId)?.ratedPlan
            let chain: [[String]?] = [
                line.fee.taxCodes,
                line.fee.kind == .commitment ? plan?.minimumCommitment?.taxCodes : nil,
                plan?.taxCodes,
                customer.definition.taxCodes,
            ]
            if let codes = chain.lazy.compactMap({ $0 }).first(where: { !$0.isEmpty }) {
                draft.fees[index].taxes = codes.compactMap { catalog.taxes[$0]?.definition }
            } else {
                draft.fees[index].taxes = defaults
            }
        }
        return draft
    }

    /// How the invoice is settled, in Lago's order (docs/BILLING.md, invoice totals): its fees, the
    /// `coupons` (the customer's, with what is left of them), the taxes on each fee after its share
    /// of the coupons, the customer's `creditNotes` on the total including taxes, then the wallet
    /// debits taken from `wallets` on what is left.
    public func settle(
        against wallets: [WalletBalance], coupons: [CouponBalance] = [], creditNotes: [CreditNoteBalance] = []
    ) throws(BillingError) -> Settlement {
        let feeAmounts = fees.map(\.fee.amountCents)
        let discounted = try InvoiceCoupons.apply(
            fees.map { line in
                InvoiceCoupons.Fee(amountCents: line.fee.amountCents, planCode: plans[line.subscriptionId]?.definition.code,
                                   metricCode: line.fee.kind == .charge || line.fee.kind == .chargeTrueUp ? line.fee.itemCode : nil)
            },
            currency: currency, coupons: coupons)
        var bases: [(base: ExactDecimal, taxes: [Tax])] = []
        for (line, share) in zip(fees, discounted.shares) {
            guard let base = InvoiceCoupons.cents(line.fee.amountCents).subtracting(share) else { throw .tooLarge("a fee after coupons") }
            bases.append((base, line.taxes))
        }
        let taxes = try InvoiceTaxes.apply(bases)
        let couponsCents = try Int64.sum(discounted.credits.map(\.amountCents), "the coupons")
        let totals = try InvoiceTotals(feeAmountsCents: feeAmounts, couponsAmountCents: couponsCents, taxesAmountCents: taxes.amountCents,
                                       debits: [])
        let credited = InvoiceCreditNotes.apply(dueCents: totals.subTotalIncludingTaxesAmountCents, currency: currency,
                                                balances: creditNotes)
        let creditNotesCents = try Int64.sum(credited.credits.map(\.amountCents), "the credit notes")
        // A wallet past its expiration pays no invoice of a period ending at or after it.
        let debits = try WalletLedger.debits(invoiceTotalCents: totals.subTotalIncludingTaxesAmountCents - creditNotesCents,
                                             currency: currency, wallets: wallets.filter { $0.expirationAt.map { to < $0 } ?? true })
        return Settlement(
            debits: debits, credits: discounted.credits, couponsAfter: discounted.after,
            creditNoteCredits: credited.credits, creditNotesAfter: credited.after, feeCoupons: discounted.shares,
            feeTaxes: taxes.fees, appliedTaxes: taxes.invoice,
            totals: try InvoiceTotals(feeAmountsCents: feeAmounts, couponsAmountCents: couponsCents, taxesAmountCents: taxes.amountCents,
                                      creditNotesAmountCents: creditNotesCents, debits: debits))
    }

    /// Rates `customer`'s `period` with the current catalog from its subscriptions' usage buckets
    /// (`usage`, by subscription id, and the `events` of metrics priced per event,
    /// `Plan.metricsPricedPerEvent`): what close issues, and what reprocess compares a stored
    /// invoice with. Each subscription is rated with its plan in `plans` (by subscription id), else
    /// with its plan's current version; the draft keeps which. Nil when the customer has no
    /// subscription live in the period, or none with anything due in it (the first months of a
    /// quarter, say); throws when a figure has no exact billable value.
    public static func rate(
        customer: StoredCatalog.CustomerRecord, period: BillingPeriod, catalog: StoredCatalog, usage: [Int64: [UsageBucket]],
        events: [Int64: [UsageEventValue]] = [:], plans: [Int64: RatingPlan] = [:], advance: [Int64: AdvanceBilling] = [:]
    ) throws(BillingError) -> RatedDraft? {
        let subscriptions = catalog.activeSubscriptions(of: customer, in: period)
        guard let first = subscriptions.first else { return nil }
        var fees: [Line] = []
        var unpriced: [UnpricedUsage] = []
        var used: [Int64: RatingPlan] = [:]
        var billed: [Int64: BilledPeriod] = [:]
        for subscription in subscriptions {
            let plan = plans[subscription.id] ?? subscription.currentRatingPlan
            // Nothing of a quarterly, semiannual or yearly plan is due before its period's last month.
            guard let rated = try SubscriptionRating.fees(
                subscription: subscription.definition, plan: plan.definition, startedAt: subscription.startedAt,
                endingAt: subscription.endingAt, period: period, usage: usage[subscription.id] ?? [],
                events: events[subscription.id] ?? [],
                metrics: catalog.metricDefinitions, initialStartedAt: subscription.initialStartedAt, superseded: subscription.superseded,
                advance: advance[subscription.id] ?? .none)
            else { continue }
            used[subscription.id] = plan
            let due = SubscriptionRating.due(plan: plan.definition, month: period, endingAt: subscription.endingAt)
            let window = { (due: PlanPeriod?) in
                SubscriptionRating.chargesWindow(period: due ?? PlanPeriod(month: period), startedAt: subscription.startedAt,
                                                 endingAt: subscription.endingAt)
            }
            let (fee, charges) = (window(due.fee ?? due.charges), window(due.charges ?? due.fee))
            billed[subscription.id] = BilledPeriod(subscriptionFrom: fee.from, subscriptionTo: fee.to,
                                                   chargesFrom: charges.from, chargesTo: charges.to)
            fees += rated.fees.map { Line(subscriptionId: subscription.id, fee: $0) }
            unpriced += rated.unpriced
        }
        guard !used.isEmpty else { return nil }
        let currency = customer.definition.currency ?? (used[first.id] ?? first.currentRatingPlan).definition.currency
        var draft = InvoiceDraft(customer: customer, period: period, currency: currency, fees: fees, plans: used)
        draft.billed = billed
        return RatedDraft(draft: draft.withTaxes(from: catalog), unpriced: unpriced)
    }
}

/// What settling a draft comes to (`InvoiceDraft.settle`).
public struct Settlement: Sendable {
    public let debits: [WalletDebit]
    /// What each coupon took, in the order applied.
    public let credits: [CouponCredit]
    /// The customer's coupons after this invoice.
    public let couponsAfter: [CouponBalance]
    /// What each credit note took, oldest first.
    public let creditNoteCredits: [CreditNoteCredit]
    /// The customer's credit notes after this invoice.
    public let creditNotesAfter: [CreditNoteBalance]
    /// Each fee's share of the coupons, in minor units (exact, 5 decimals), in fee order.
    public let feeCoupons: [ExactDecimal]
    /// Each fee's taxes, in fee order.
    public let feeTaxes: [FeeTaxes]
    /// The invoice's taxes, one per tax, in code order.
    public let appliedTaxes: [AppliedTax]
    public let totals: InvoiceTotals
}

/// A draft with the usage it billed at price 0, for the run's warnings.
public struct RatedDraft: Sendable {
    public let draft: InvoiceDraft
    public let unpriced: [UnpricedUsage]

    public init(draft: InvoiceDraft, unpriced: [UnpricedUsage]) {
        self.draft = draft
        self.unpriced = unpriced
    }
}
