/// Lago's credit note reasons.
public enum CreditNoteReason: String, Codable, Equatable, Sendable, CaseIterable {
    case duplicatedCharge = "duplicated_charge"
    case productUnsatisfactory = "product_unsatisfactory"
    case orderChange = "order_change"
    case orderCancellation = "order_cancellation"
    case fraudulentCharge = "fraudulent_charge"
    case other
}

/// What a credit note gives back of an issued invoice (Lago's `CreditNotes::CreateService` and
/// `CreditNotes::ApplyTaxesService`; docs/BILLING.md, credit notes): its items, each an amount of
/// one fee, their taxes, and how the total is split between credit and refund.
public struct CreditNoteAmounts: Equatable, Sendable {
    /// Each item: the fee it credits (by its position on the invoice) and the amount, minor units.
    public let items: [(fee: Int, amountCents: Int64)]
    /// The coupons' share of the items: what the fees did not cost because of coupons.
    public let couponsAdjustment: ExactDecimal
    /// Σ items − coupons adjustment, rounded half away from zero.
    public let subTotalExcludingTaxesAmountCents: Int64
    /// One per tax of the items' fees, each rounded on its own.
    public let appliedTaxes: [AppliedTax]
    /// Σ of the rounded taxes (Lago sums the taxes of a credit note after rounding each).
    public let taxesAmountCents: Int64
    public let totalAmountCents: Int64
    /// The part given back as a refund; the rest is credited to the customer.
    public let refundAmountCents: Int64
    public var creditAmountCents: Int64 { totalAmountCents - refundAmountCents }

    public static func == (lhs: CreditNoteAmounts, rhs: CreditNoteAmounts) -> Bool {
        lhs.items.map(\.fee) == rhs.items.map(\.fee) && lhs.items.map(\.amountCents) == rhs.items.map(\.amountCents)
            && lhs.couponsAdjustment == rhs.couponsAdjustment && lhs.taxesAmountCents == rhs.taxesAmountCents
            && lhs.totalAmountCents == rhs.totalAmountCents && lhs.refundAmountCents == rhs.refundAmountCents
            && lhs.appliedTaxes == rhs.appliedTaxes
    }
}

/// Why a credit note cannot be made as asked.
public struct CreditNoteError: Error, CustomStringConvertible, Equatable, Sendable {
    public let description: String

    public init(_ description: String) { self.description = description }
}

public enum CreditNoteCalculation {
    /// The amounts of a credit note of `invoice` crediting `items` (fee position → minor units),
    /// with `refundCents` of it refunded. `credited` is what earlier credit notes took from each
    /// fee (by position), `refunded` what they refunded of the invoice.
    public static func amounts(
        of invoice: InvoiceRecord, items: [(fee: Int, amountCents: Int64)], refundCents: Int64,
        credited: [Int: Int64], refunded: Int64
    ) throws(CreditNoteError) -> CreditNoteAmounts {
        guard invoice.header.status == .finalized else {
            throw CreditNoteError("invoice \(invoice.header.number) is voided: credit its replacement instead")
        }
        guard !items.isEmpty else { throw CreditNoteError("a credit note needs at least one item") }
        var itemsTotal = ExactDecimal.zero
        var adjustment = ExactDecimal.zero
        var perTax: [String: (tax: Tax, base: ExactDecimal)] = [:]
        var seen: Set<Int> = []
        for item in items {
            guard invoice.fees.indices.contains(item.fee) else { throw CreditNoteError("the invoice has no fee \(item.fee + 1)") }
            guard seen.insert(item.fee).inserted else { throw CreditNoteError("fee \(invoice.fees[item.fee].lagoId) is named twice") }
            let fee = invoice.fees[item.fee]
            let creditable = fee.amountCents - min(credited[item.fee] ?? 0, fee.amountCents)
            guard item.amountCents > 0 else { throw CreditNoteError("the amount of fee \(fee.lagoId) must be > 0") }
            guard item.amountCents <= creditable else {
                throw CreditNoteError("fee \(fee.lagoId) (\(fee.itemCode)) has \(creditable) left to credit of its \(fee.amountCents); "
                    + "\(item.amountCents) is more")
            }
            let amount = ExactDecimal(significand: Int128(item.amountCents), scale: 0)
            // The item's share of the fee's coupons: coupons × item ÷ fee.
            let share: ExactDecimal
            if fee.amountCents == 0 {
                share = .zero
            } else {
                guard let weighted = fee.preciseCouponsAmount.multiplied(by: amount),
                      let divided = weighted.divided(by: ExactDecimal(significand: Int128(fee.amountCents), scale: 0),
                                                     scale: InvoiceCoupons.shareScale, .halfAwayFromZero)
                else { throw CreditNoteError("the coupons of fee \(fee.lagoId) are too large to credit exactly") }
                share = divided
            }
            guard let total = itemsTotal.adding(amount), let adjusted = adjustment.adding(share),
                  let base = amount.subtracting(share)
            else { throw CreditNoteError("the items are too large to credit exactly") }
            itemsTotal = total
            adjustment = adjusted
            for applied in fee.taxes.applied {
                let known = perTax[applied.tax.code]?.base ?? .zero
                guard let sum = known.adding(base) else { throw CreditNoteError("the items are too large to credit exactly") }
                perTax[applied.tax.code] = (applied.tax, sum)
            }
        }
        var appliedTaxes: [AppliedTax] = []
        var taxes: Int64 = 0
        for (_, entry) in perTax.sorted(by: { $0.key < $1.key }) {
            guard let precise = entry.tax.preciseAmount(on: entry.base),
                  let cents = precise.rounded(scale: 0, .halfAwayFromZero).int64Value
            else { throw CreditNoteError("the taxes are too large to credit exactly") }
            appliedTaxes.append(AppliedTax(tax: entry.tax, baseAmount: entry.base, preciseAmount: precise, amountCents: cents))
            taxes += cents
        }
        guard let subTotal = itemsTotal.subtracting(adjustment)?.rounded(scale: 0, .halfAwayFromZero).int64Value else {
            throw CreditNoteError("the items are too large to credit exactly")
        }
        let total = subTotal + taxes
        let refundable = max(0, invoice.header.totalAmountCents - refunded)
        guard refundCents >= 0, refundCents <= total else {
            throw CreditNoteError("the refund must be from 0 to the credit note's total, \(total) (got \(refundCents))")
        }
        guard refundCents <= refundable else {
            throw CreditNoteError("the refund of \(refundCents) is more than the \(refundable) left of what the invoice asked the "
                + "customer to pay (\(invoice.header.totalAmountCents)); credit the rest instead")
        }
        return CreditNoteAmounts(items: items, couponsAdjustment: adjustment, subTotalExcludingTaxesAmountCents: subTotal,
                                 appliedTaxes: appliedTaxes, taxesAmountCents: taxes, totalAmountCents: total,
                                 refundAmountCents: refundCents)
    }
}

/// What is left of a credit note's credit, for the customer's next invoices.
public struct CreditNoteBalance: Equatable, Sendable {
    public let creditNoteId: Int64
    public let number: String
    public let currency: String
    public var balanceCents: Int64

    public init(creditNoteId: Int64, number: String, currency: String, balanceCents: Int64) {
        self.creditNoteId = creditNoteId
        self.number = number
        self.currency = currency
        self.balanceCents = balanceCents
    }
}

/// What one credit note took from one invoice (Lago's credit, after taxes).
public struct CreditNoteCredit: Equatable, Sendable {
    public let creditNoteId: Int64
    public let number: String
    public let amountCents: Int64
}

public enum InvoiceCreditNotes {
    /// Applies `balances` (oldest first) in `currency` to `dueCents`, as Lago's
    /// `Credits::CreditNoteService`: each takes what it can, until nothing is due.
    public static func apply(
        dueCents: Int64, currency: String, balances: [CreditNoteBalance]
    ) -> (credits: [CreditNoteCredit], after: [CreditNoteBalance]) {
        var due = max(0, dueCents)
        var after = balances
        var credits: [CreditNoteCredit] = []
        for index in after.indices where due > 0 && after[index].currency == currency && after[index].balanceCents > 0 {
            let amount = min(after[index].balanceCents, due)
            credits.append(CreditNoteCredit(creditNoteId: after[index].creditNoteId, number: after[index].number, amountCents: amount))
            after[index].balanceCents -= amount
            due -= amount
        }
        return (credits, after)
    }
}
