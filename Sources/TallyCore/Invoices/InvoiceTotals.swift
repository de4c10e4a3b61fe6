/// The `*_amount_cents` fields of an invoice (docs/BILLING.md, invoices).
public struct InvoiceTotals: Equatable, Sendable {
    /// Σ of the fees' `amount_cents`.
    public let feesAmountCents: Int64
    /// The coupons applied, before taxes (Lago's `coupons_amount_cents`).
    public let couponsAmountCents: Int64
    /// The invoice's taxes, rounded once (`InvoiceTaxes`).
    public let taxesAmountCents: Int64
    public let subTotalExcludingTaxesAmountCents: Int64
    public let subTotalIncludingTaxesAmountCents: Int64
    /// Credit notes' credit applied (Lago's `credit_notes_amount_cents`), after taxes, before wallets.
    public let creditNotesAmountCents: Int64
    /// Wallet credits applied: granted + purchased.
    public let prepaidCreditAmountCents: Int64
    public let prepaidGrantedCreditAmountCents: Int64
    public let prepaidPurchasedCreditAmountCents: Int64
    /// Sub-total including taxes − credit notes − prepaid credits.
    public let totalAmountCents: Int64

    /// Equal to the total: nothing is paid before an invoice is issued.
    public var totalDueAmountCents: Int64 { totalAmountCents }

    /// Totals of an invoice holding fees of `feeAmountsCents`, less `couponsAmountCents`, taxed `taxesAmountCents`, paid in part
    /// by `debits` (from `WalletLedger.debits`, computed on the sub-total including taxes). Throws
    /// when a sum exceeds 64-bit minor units.
    public init(
        feeAmountsCents: [Int64], couponsAmountCents: Int64 = 0, taxesAmountCents: Int64 = 0, creditNotesAmountCents: Int64 = 0,
        debits: [WalletDebit]
    ) throws(BillingError) {
        self.creditNotesAmountCents = creditNotesAmountCents
        feesAmountCents = try Int64.sum(feeAmountsCents, "the sum of the fees")
        self.couponsAmountCents = couponsAmountCents
        self.taxesAmountCents = taxesAmountCents
        // Coupons never exceed the fees they discount (`InvoiceCoupons`).
        subTotalExcludingTaxesAmountCents = feesAmountCents - min(couponsAmountCents, feesAmountCents)
        subTotalIncludingTaxesAmountCents = try Int64.sum([subTotalExcludingTaxesAmountCents, taxesAmountCents],
                                                          "the sub-total including taxes")
        prepaidGrantedCreditAmountCents = try Int64.sum(debits.map(\.grantedAmountCents), "the granted credits applied")
        prepaidPurchasedCreditAmountCents = try Int64.sum(debits.map(\.purchasedAmountCents), "the purchased credits applied")
        prepaidCreditAmountCents = try Int64.sum([prepaidGrantedCreditAmountCents, prepaidPurchasedCreditAmountCents],
                                                 "the credits applied")
        // Credit notes and wallet credits never exceed what is left to pay (InvoiceCreditNotes,
        // WalletLedger), so this cannot overflow.
        totalAmountCents = subTotalIncludingTaxesAmountCents - creditNotesAmountCents - prepaidCreditAmountCents
    }
}

/// Invoice numbers: `PREFIX-<customer sequence>-<invoice sequence>` (docs/BILLING.md, invoices).
public enum InvoiceNumber {
    /// `MIS-001-001`: both sequences zero-padded to 3 digits, longer when they need more.
    public static func format(prefix: String, customerSequence: Int, invoiceSequence: Int) -> String {
        precondition(customerSequence >= 0 && invoiceSequence >= 0,
                     "invoice number sequences must be >= 0 (got \(customerSequence), \(invoiceSequence))")
        return "\(prefix)-\(padded(customerSequence))-\(padded(invoiceSequence))"
    }

    private static func padded(_ sequence: Int) -> String {
        let digits = String(sequence)
        return String(repeating: "0", count: max(0, 3 - digits.count)) + digits
    }
}
