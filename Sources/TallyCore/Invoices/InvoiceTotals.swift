/// The `*_amount_cents` fields of an invoice (docs/BILLING.md, invoices).
public struct InvoiceTotals: Equatable, Sendable {
    /// Σ of the fees' `amount_cents`.
    public let feesAmountCents: Int64
    /// Taxes are not modelled yet: always 0.
    public let taxesAmountCents: Int64
    public let subTotalExcludingTaxesAmountCents: Int64
    public let subTotalIncludingTaxesAmountCents: Int64
    /// Wallet credits applied: granted + purchased.
    public let prepaidCreditAmountCents: Int64
    public let prepaidGrantedCreditAmountCents: Int64
    public let prepaidPurchasedCreditAmountCents: Int64
    /// Sub-total including taxes − prepaid credits.
    public let totalAmountCents: Int64

    /// Equal to the total: nothing is paid before an invoice is issued.
    public var totalDueAmountCents: Int64 { totalAmountCents }

    /// Totals of an invoice holding fees of `feeAmountsCents`, paid in part by `debits`
    /// (from `WalletLedger.debits`, computed on the sub-total including taxes).
    public init(feeAmountsCents: [Int64], debits: [WalletDebit]) {
        feesAmountCents = feeAmountsCents.reduce(0, +)
        taxesAmountCents = 0
        subTotalExcludingTaxesAmountCents = feesAmountCents
        subTotalIncludingTaxesAmountCents = subTotalExcludingTaxesAmountCents + taxesAmountCents
        prepaidGrantedCreditAmountCents = debits.reduce(0) { $0 + $1.grantedAmountCents }
        prepaidPurchasedCreditAmountCents = debits.reduce(0) { $0 + $1.purchasedAmountCents }
        prepaidCreditAmountCents = prepaidGrantedCreditAmountCents + prepaidPurchasedCreditAmountCents
        totalAmountCents = subTotalIncludingTaxesAmountCents - prepaidCreditAmountCents
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
