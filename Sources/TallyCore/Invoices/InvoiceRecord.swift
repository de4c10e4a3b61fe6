/// An invoice as the store holds it, with its fees: what its documents are made from and what
/// reprocessing compares a re-rating with.
public struct InvoiceRecord: Sendable {
    public struct Fee: Sendable {
        public let lagoId: String
        public let subscriptionId: Int64
        public let kind: DraftFee.Kind
        /// The metric code of a charge or true-up, the plan code of the subscription or commitment fee.
        public let itemCode: String
        public let itemName: String
        public let invoiceDisplayName: String?
        public let filterInvoiceDisplayName: String?
        /// The charge filter that priced the fee; nil for a default bucket and the subscription fee.
        public let filters: [FilterCondition]?
        public let units: ExactDecimal
        public let eventsCount: Int
        public let preciseAmount: ExactDecimal
        public let amountCents: Int64
        public let from: UTCInstant
        public let to: UTCInstant
        /// Lago's `precise_unit_amount` and `amount_details`; nil for fees stored before Tally kept them.
        public let preciseUnitAmount: ExactDecimal?
        public let amountDetails: AmountDetails?
        /// Its share of the invoice's coupons, minor units (exact).
        public var preciseCouponsAmount: ExactDecimal = .zero
        /// Its taxes as applied.
        public var taxes: FeeTaxes = .none

        public init(
            lagoId: String, subscriptionId: Int64, kind: DraftFee.Kind, itemCode: String, itemName: String,
            invoiceDisplayName: String?, filterInvoiceDisplayName: String?, filters: [FilterCondition]?,
            units: ExactDecimal, eventsCount: Int, preciseAmount: ExactDecimal, amountCents: Int64,
            from: UTCInstant, to: UTCInstant, preciseUnitAmount: ExactDecimal? = nil, amountDetails: AmountDetails? = nil
        ) {
            self.preciseUnitAmount = preciseUnitAmount
            self.amountDetails = amountDetails
            self.lagoId = lagoId
            self.subscriptionId = subscriptionId
            self.kind = kind
            self.itemCode = itemCode
            self.itemName = itemName
            self.invoiceDisplayName = invoiceDisplayName
            self.filterInvoiceDisplayName = filterInvoiceDisplayName
            self.filters = filters
            self.units = units
            self.eventsCount = eventsCount
            self.preciseAmount = preciseAmount
            self.amountCents = amountCents
            self.from = from
            self.to = to
        }

        /// The line reprocessing compares; `externalSubscriptionId` names `subscriptionId`.
        public func line(externalSubscriptionId: String) -> FeeLine {
            let filters = self.filters?.json
            return FeeLine(
                key: FeeLine.Key(subscriptionId: subscriptionId, feeType: kind.rawValue, itemCode: itemCode,
                                 filters: filters?.serialized),
                externalSubscriptionId: externalSubscriptionId, filterInvoiceDisplayName: filterInvoiceDisplayName,
                filterValues: filters,
                figures: FeeFigures(units: units, eventsCount: eventsCount, amountCents: amountCents))
        }
    }

    /// The invoice's own fields, as stored.
    public struct Header: Sendable {
        public let id: Int64
        public let lagoId: String
        public let sequentialId: Int
        public let number: String
        public let customerId: Int64
        /// `YYYY-MM`.
        public let period: String
        /// `YYYY-MM-DD`, in the customer's timezone.
        public let issuingDate: String
        public let currency: String
        public let status: InvoiceStatus
        public let paymentStatus: PaymentStatus
        public let feesAmountCents: Int64
        public let taxesAmountCents: Int64
        public let subTotalExcludingTaxesAmountCents: Int64
        public let subTotalIncludingTaxesAmountCents: Int64
        public let prepaidCreditAmountCents: Int64
        public let prepaidGrantedCreditAmountCents: Int64
        public let prepaidPurchasedCreditAmountCents: Int64
        public let totalAmountCents: Int64
        public let voidedAt: UTCInstant?
        public let createdAt: UTCInstant
        /// The last instant of the invoice's period; nil when not known.
        public let periodTo: UTCInstant?
        /// The subscription (store id) a start invoice bills in advance; nil for a period invoice.
        public let startingSubscriptionId: Int64?
        /// Lago's `coupons_amount_cents`.
        public var couponsAmountCents: Int64 = 0
        /// Lago's `credit_notes_amount_cents`: credit notes' credit applied.
        public var creditNotesAmountCents: Int64 = 0
        /// The invoice's taxes, one per tax, as applied.
        public var appliedTaxes: [AppliedTax] = []

        public init(
            id: Int64, lagoId: String, sequentialId: Int, number: String, customerId: Int64, period: String,
            issuingDate: String, currency: String, status: InvoiceStatus, paymentStatus: PaymentStatus,
            feesAmountCents: Int64, taxesAmountCents: Int64, subTotalExcludingTaxesAmountCents: Int64,
            subTotalIncludingTaxesAmountCents: Int64, prepaidCreditAmountCents: Int64,
            prepaidGrantedCreditAmountCents: Int64, prepaidPurchasedCreditAmountCents: Int64, totalAmountCents: Int64,
            voidedAt: UTCInstant?, createdAt: UTCInstant, periodTo: UTCInstant? = nil, startingSubscriptionId: Int64? = nil
        ) {
            self.periodTo = periodTo
            self.startingSubscriptionId = startingSubscriptionId
            self.id = id
            self.lagoId = lagoId
            self.sequentialId = sequentialId
            self.number = number
            self.customerId = customerId
            self.period = period
            self.issuingDate = issuingDate
            self.currency = currency
            self.status = status
            self.paymentStatus = paymentStatus
            self.feesAmountCents = feesAmountCents
            self.taxesAmountCents = taxesAmountCents
            self.subTotalExcludingTaxesAmountCents = subTotalExcludingTaxesAmountCents
            self.subTotalIncludingTaxesAmountCents = subTotalIncludingTaxesAmountCents
            self.prepaidCreditAmountCents = prepaidCreditAmountCents
            self.prepaidGrantedCreditAmountCents = prepaidGrantedCreditAmountCents
            self.prepaidPurchasedCreditAmountCents = prepaidPurchasedCreditAmountCents
            self.totalAmountCents = totalAmountCents
            self.voidedAt = voidedAt
            self.createdAt = createdAt
        }

        /// Whether `fee` is a plan fee billed ahead of its period: every plan fee of a start invoice,
        /// and the next period's fee on a period invoice (it starts after the invoice's period).
        public func billsInAdvance(_ fee: Fee) -> Bool {
            guard fee.kind == .subscription else { return false }
            return startingSubscriptionId != nil || periodTo.map { fee.from > $0 } ?? false
        }

        public var amounts: InvoiceAmounts {
            InvoiceAmounts(feesAmountCents: feesAmountCents, prepaidCreditAmountCents: prepaidCreditAmountCents,
                           totalAmountCents: totalAmountCents)
        }
    }

    public let header: Header
    /// In invoice order.
    public let fees: [Fee]
    /// What it bills of each subscription, by subscription id; empty for invoices issued before
    /// Tally kept it.
    public let billed: [Int64: BilledPeriod]
    /// What coupons took from it, in the order applied.
    public let credits: [Credit]

    /// What one applied coupon took from the invoice.
    public struct Credit: Sendable {
        public let lagoId: String
        /// The applied coupon it comes from; nil for a credit note's.
        public let appliedCouponId: Int64?
        public let amountCents: Int64
        /// The credit note it comes from (store id, Lago id, number); nil for a coupon's.
        public var creditNote: (id: Int64, lagoId: String, number: String)?

        public init(lagoId: String, appliedCouponId: Int64?, amountCents: Int64) {
            self.lagoId = lagoId
            self.appliedCouponId = appliedCouponId
            self.amountCents = amountCents
        }
    }

    public init(header: Header, fees: [Fee], billed: [Int64: BilledPeriod] = [:], credits: [Credit] = []) {
        self.header = header
        self.fees = fees
        self.billed = billed
        self.credits = credits
    }
}

/// One invoice as a period's summary for finance lists it.
public struct InvoiceSummaryRow: Sendable, Equatable {
    public let number: String
    /// The customer's external id.
    public let customer: String
    public let currency: String
    public let status: InvoiceStatus
    public let feesAmountCents: Int64
    public let prepaidCreditAmountCents: Int64
    public let totalAmountCents: Int64

    public init(number: String, customer: String, currency: String, status: InvoiceStatus, feesAmountCents: Int64,
                prepaidCreditAmountCents: Int64, totalAmountCents: Int64) {
        self.number = number
        self.customer = customer
        self.currency = currency
        self.status = status
        self.feesAmountCents = feesAmountCents
        self.prepaidCreditAmountCents = prepaidCreditAmountCents
        self.totalAmountCents = totalAmountCents
    }
}
