/// A credit note as Lago's credit note object: the JSON file written beside the invoices, under
/// `credit_notes/<invoice period>/<number>.json` (docs/BILLING.md, credit notes).
public struct LagoCreditNoteDocument: Sendable {
    /// The period of the invoice it credits: the folder it is filed in.
    public let period: String
    public let number: String
    public let json: JSONValue

    /// The credit note's stored figures; `fees` are its invoice's fees by Lago id, for its items.
    public init(
        lagoId: String, sequentialId: Int, number: String, invoiceLagoId: String, invoiceNumber: String, period: String,
        issuingDate: String, reason: String, description: String?, currency: String, totalAmountCents: Int64,
        creditAmountCents: Int64, refundAmountCents: Int64, balanceAmountCents: Int64, taxesAmountCents: Int64,
        subTotalExcludingTaxesAmountCents: Int64, couponsAdjustmentAmount: ExactDecimal, appliedTaxes: [AppliedTax],
        createdAt: UTCInstant, items: [(lagoId: String, feeLagoId: String, amountCents: Int64)], fees: [String: InvoiceRecord.Fee],
        catalog: StoredCatalog
    ) {
        self.period = period
        self.number = number
        func cents(_ value: Int64) -> JSONValue { .number(String(value)) }
        let created = JSONValue.string(createdAt.wholeSecondsDescription)
        // Lago's `taxes_rate`: each tax's rate weighted by the share of the items it applies to,
        // summed, at 5 decimals.
        let itemsBase = ExactDecimal(significand: Int128(items.reduce(Int64(0)) { $0 &+ $1.amountCents }), scale: 0)
            .subtracting(couponsAdjustmentAmount) ?? .zero
        var rate = ExactDecimal.zero
        for applied in appliedTaxes where itemsBase > .zero {
            if let weighted = applied.baseAmount.multiplied(by: applied.tax.rate)?.divided(by: itemsBase, scale: 5, .halfAwayFromZero),
               let sum = rate.adding(weighted) {
                rate = sum
            }
        }
        json = .object(JSONObject([
            ("lago_id", .string(lagoId)), ("sequential_id", cents(Int64(sequentialId))), ("number", .string(number)),
            ("lago_invoice_id", .string(invoiceLagoId)), ("invoice_number", .string(invoiceNumber)),
            ("issuing_date", .string(issuingDate)),
            ("credit_status", creditAmountCents > 0 ? (balanceAmountCents > 0 ? "available" : "consumed") : .null),
            ("refund_status", refundAmountCents > 0 ? "pending" : .null),
            ("reason", .string(reason)), ("description", description.map(JSONValue.string) ?? .null),
            ("currency", .string(currency)), ("total_amount_cents", cents(totalAmountCents)),
            ("taxes_amount_cents", cents(taxesAmountCents)), ("taxes_rate", .number(rate.description)),
            ("sub_total_excluding_taxes_amount_cents", cents(subTotalExcludingTaxesAmountCents)),
            ("balance_amount_cents", cents(balanceAmountCents)), ("credit_amount_cents", cents(creditAmountCents)),
            ("refund_amount_cents", cents(refundAmountCents)), ("offset_amount_cents", 0),
            ("coupons_adjustment_amount_cents", cents(couponsAdjustmentAmount.rounded(scale: 0, .halfAwayFromZero).int64Value ?? 0)),
            ("created_at", created), ("updated_at", created), ("file_url", .null),
            ("items", .array(items.map { item in
                let fee = fees[item.feeLagoId]
                return .object(JSONObject([
                    ("lago_id", .string(item.lagoId)), ("amount_cents", cents(item.amountCents)), ("amount_currency", .string(currency)),
                    ("fee", .object(JSONObject([
                        ("lago_id", .string(item.feeLagoId)), ("amount_cents", cents(fee?.amountCents ?? 0)),
                        ("amount_currency", .string(currency)),
                        ("taxes_amount_cents", cents(fee?.taxes.amountCents ?? 0)),
                        ("taxes_rate", .number((fee?.taxes.rate ?? .zero).description)),
                        ("total_amount_cents", cents((fee?.amountCents ?? 0) &+ (fee?.taxes.amountCents ?? 0))),
                        ("total_amount_currency", .string(currency)), ("pay_in_advance", false), ("invoiceable", true),
                        ("units", .string((fee?.units ?? .zero).description)),
                        ("precise_unit_amount", .string((fee?.preciseUnitAmount ?? .zero).description)),
                        ("item", .object(JSONObject([
                            ("type", .string(fee.map { $0.kind == .subscription ? "subscription" : $0.kind == .commitment ? "commitment" : "charge" } ?? "charge")),
                            ("code", .string(fee?.itemCode ?? "")), ("name", .string(fee?.itemName ?? "")),
                        ]))),
                    ]))),
                ]))
            })),
            ("applied_taxes", .array(appliedTaxes.map { applied in
                .object(JSONObject([
                    ("lago_credit_note_id", .string(lagoId)),
                    ("lago_tax_id", catalog.taxes[applied.tax.code].map { .string($0.lagoId) } ?? .null),
                    ("tax_name", .string(applied.tax.name)), ("tax_code", .string(applied.tax.code)),
                    ("tax_rate", .number(applied.tax.rate.description)),
                    ("tax_description", applied.tax.description.map(JSONValue.string) ?? .null),
                    ("base_amount_cents", cents(applied.baseAmount.rounded(scale: 0, .halfAwayFromZero).int64Value ?? 0)),
                    ("amount_cents", cents(applied.amountCents)), ("amount_currency", .string(currency)), ("created_at", created),
                ]))
            })),
        ]))
    }
}
