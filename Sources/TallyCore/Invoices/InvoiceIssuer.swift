/// Turns drafts into invoices, one after another: each gets its customer's next number and takes
/// the wallet credits its customer's wallets hold at that point, so two invoices of one customer
/// in one batch never spend the same credits.
public struct InvoiceIssuer: Sendable {
    private let prefix: String
    private var lastSequences: [Int64: Int]
    private var wallets: [Int64: [WalletBalance]]
    private var coupons: [Int64: [CouponBalance]]
    private var creditNotes: [Int64: [CreditNoteBalance]]

    /// `lastSequences`: each customer's highest invoice sequence so far (none: 0);
    /// `wallets`: each customer's wallets with what is left on them; `coupons`: each customer's
    /// applied coupons with what is left of them.
    public init(
        prefix: String, lastSequences: [Int64: Int], wallets: [Int64: [WalletBalance]], coupons: [Int64: [CouponBalance]] = [:],
        creditNotes: [Int64: [CreditNoteBalance]] = [:]
    ) {
        self.creditNotes = creditNotes
        self.prefix = prefix
        self.lastSequences = lastSequences
        self.wallets = wallets
        self.coupons = coupons
    }

    /// Numbers and settles `draft`, and keeps what it took from the wallets. Throws, numbering
    /// nothing, when its settlement has no exact value.
    public mutating func issue(_ draft: InvoiceDraft) throws(BillingError) -> IssuedDraft {
        let customer = draft.customer
        let settlement = try draft.settle(against: wallets[customer.id] ?? [], coupons: coupons[customer.id] ?? [],
                                          creditNotes: creditNotes[customer.id] ?? [])
        var left: [WalletBalance] = []
        var topUps: [WalletTopUpGrant] = []
        for wallet in wallets[customer.id] ?? [] {
            var after = try wallet.after(settlement.debits)
            // Lago's threshold rule: an invoice that leaves the wallet at or below its threshold tops it up.
            if let rule = after.thresholdTopUp, settlement.debits.contains(where: { $0.walletId == wallet.walletId }),
               let credits = after.grantedCredits.adding(after.purchasedCredits), credits <= rule.thresholdCredits {
                after = try after.adding(granted: rule.grantedCredits, purchased: .zero)
                topUps.append(WalletTopUpGrant(walletId: wallet.walletId, grantedCredits: rule.grantedCredits))
            }
            left.append(after)
        }
        wallets[customer.id] = left
        coupons[customer.id] = settlement.couponsAfter
        creditNotes[customer.id] = settlement.creditNotesAfter
        let sequence = (lastSequences[customer.id] ?? 0) + 1
        lastSequences[customer.id] = sequence
        let number = InvoiceNumber.format(prefix: prefix, customerSequence: customer.sequentialId, invoiceSequence: sequence)
        return IssuedDraft(draft: draft, sequentialId: sequence, number: number, settlement: settlement, topUps: topUps)
    }
}

/// A draft with its number and settlement: what the store writes as an invoice, its fees and its
/// wallet debits.
public struct IssuedDraft: Sendable {
    public let draft: InvoiceDraft
    /// The invoice's sequence among its customer's invoices, 1 first.
    public let sequentialId: Int
    public let number: String
    public let settlement: Settlement
    /// Granted credits its wallet debits triggered (threshold rules), recorded with it.
    public var topUps: [WalletTopUpGrant] = []

    public var debits: [WalletDebit] { settlement.debits }
    public var totals: InvoiceTotals { settlement.totals }

    /// `succeeded` when nothing is left to pay, else `pending`.
    public var paymentStatus: PaymentStatus { totals.totalAmountCents == 0 ? .succeeded : .pending }

    public var summary: IssuedInvoice {
        IssuedInvoice(
            number: number, customer: draft.customer.externalId, period: draft.label, currency: draft.currency,
            feesAmountCents: totals.feesAmountCents, prepaidCreditAmountCents: totals.prepaidCreditAmountCents,
            totalAmountCents: totals.totalAmountCents, feeCount: draft.fees.count, isStart: draft.startingSubscriptionId != nil,
            couponsAmountCents: totals.couponsAmountCents, taxesAmountCents: totals.taxesAmountCents)
    }
}

/// Granted credits added to a wallet by its threshold rule.
public struct WalletTopUpGrant: Equatable, Sendable {
    public let walletId: Int64
    public let grantedCredits: ExactDecimal
}

/// One invoice as close or reprocess reports it.
public struct IssuedInvoice: Sendable, Equatable {
    public let number: String
    public let customer: String
    public let period: String
    public let currency: String
    public let feesAmountCents: Int64
    public let prepaidCreditAmountCents: Int64
    public let totalAmountCents: Int64
    public let feeCount: Int
    /// A pay-in-advance subscription's start invoice rather than a period invoice.
    public let isStart: Bool
    public let couponsAmountCents: Int64
    public let taxesAmountCents: Int64

    public init(number: String, customer: String, period: String, currency: String, feesAmountCents: Int64,
                prepaidCreditAmountCents: Int64, totalAmountCents: Int64, feeCount: Int, isStart: Bool = false,
                couponsAmountCents: Int64 = 0, taxesAmountCents: Int64 = 0) {
        self.isStart = isStart
        self.couponsAmountCents = couponsAmountCents
        self.taxesAmountCents = taxesAmountCents
        self.number = number
        self.customer = customer
        self.period = period
        self.currency = currency
        self.feesAmountCents = feesAmountCents
        self.prepaidCreditAmountCents = prepaidCreditAmountCents
        self.totalAmountCents = totalAmountCents
        self.feeCount = feeCount
    }
}

/// Lago's invoice `status`.
public enum InvoiceStatus: String, Codable, Sendable {
    case finalized
    case voided
}

/// Lago's invoice `payment_status`: Tally records no payments, so an invoice is `pending` until
/// it is paid elsewhere, or `succeeded` when it had nothing to pay.
public enum PaymentStatus: String, Codable, Sendable {
    case pending
    case succeeded
}
