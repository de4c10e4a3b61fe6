import Testing
@testable import TallyCore

/// docs/BILLING.md (credit notes): a credit note's items, the coupons' share of them, their taxes
/// and the split into credit and refund. Figures computed by hand.
@Suite struct CreditNoteCalculationTests {
    private let vat = Tax(code: "vat_20", name: "VAT", rate: ExactDecimal(20))

    private func invoice(status: InvoiceStatus = .finalized, total: Int64 = 1_440) -> InvoiceRecord {
        let header = InvoiceRecord.Header(
            id: 1, lagoId: "i", sequentialId: 1, number: "TST-001-001", customerId: 1, period: "2026-10", issuingDate: "2026-11-01",
            currency: "USD", status: status, paymentStatus: .pending, feesAmountCents: 1_500, taxesAmountCents: 180,
            subTotalExcludingTaxesAmountCents: 1_400, subTotalIncludingTaxesAmountCents: 1_580, prepaidCreditAmountCents: 140,
            prepaidGrantedCreditAmountCents: 140, prepaidPurchasedCreditAmountCents: 0, totalAmountCents: total, voidedAt: nil,
            createdAt: UTCInstant(year: 2026, month: 11, day: 1)!)
        func fee(_ id: String, _ cents: Int64, coupons: String, taxed: Bool) -> InvoiceRecord.Fee {
            var fee = InvoiceRecord.Fee(
                lagoId: id, subscriptionId: 1, kind: .charge, itemCode: "m", itemName: "M", invoiceDisplayName: nil,
                filterInvoiceDisplayName: nil, filters: nil, units: .zero, eventsCount: 0, preciseAmount: .zero, amountCents: cents,
                from: header.createdAt, to: header.createdAt)
            fee.preciseCouponsAmount = ExactDecimal(decimalString: coupons)!
            if taxed {
                fee.taxes = FeeTaxes(applied: [AppliedTax(tax: vat, baseAmount: .zero, preciseAmount: .zero, amountCents: 0)],
                                     rate: vat.rate, preciseAmount: .zero, amountCents: 0)
            }
            return fee
        }
        return InvoiceRecord(header: header, fees: [fee("a", 1_000, coupons: "100", taxed: true), fee("b", 500, coupons: "0", taxed: false)])
    }

    @Test func anItemCarriesItsShareOfCouponsAndItsFeesTaxes() throws {
        // Half of fee a: 500, of which 50 was coupon; VAT on 450 = 90. Total 450 + 90 = 540, 100 refunded.
        let amounts = try CreditNoteCalculation.amounts(of: invoice(), items: [(0, 500)], refundCents: 100, credited: [:], refunded: 0)
        #expect(amounts.couponsAdjustment == ExactDecimal(50))
        #expect(amounts.subTotalExcludingTaxesAmountCents == 450)
        #expect(amounts.taxesAmountCents == 90)
        #expect(amounts.totalAmountCents == 540)
        #expect(amounts.creditAmountCents == 440)
        // Fee b has no tax: 500 of it adds 500 and no tax.
        let both = try CreditNoteCalculation.amounts(of: invoice(), items: [(0, 500), (1, 500)], refundCents: 0, credited: [:], refunded: 0)
        #expect(both.totalAmountCents == 1_040)
        #expect(both.appliedTaxes.map(\.amountCents) == [90])
    }

    @Test func whatWasCreditedOrRefundedBeforeIsNotCreditedAgain() throws {
        #expect(throws: CreditNoteError.self) {
            try CreditNoteCalculation.amounts(of: invoice(), items: [(0, 600)], refundCents: 0, credited: [0: 500], refunded: 0)
        }
        #expect(throws: CreditNoteError.self) {
            try CreditNoteCalculation.amounts(of: invoice(total: 300), items: [(1, 500)], refundCents: 400, credited: [:], refunded: 0)
        }
        #expect(throws: CreditNoteError.self) {
            try CreditNoteCalculation.amounts(of: invoice(), items: [(1, 500)], refundCents: 100, credited: [:], refunded: 1_400)
        }
        #expect(throws: CreditNoteError.self) {
            try CreditNoteCalculation.amounts(of: invoice(status: .voided), items: [(1, 1)], refundCents: 0, credited: [:], refunded: 0)
        }
        #expect(throws: CreditNoteError.self) {
            try CreditNoteCalculation.amounts(of: invoice(), items: [(1, 1), (1, 2)], refundCents: 0, credited: [:], refunded: 0)
        }
    }

    @Test func creditNotesOffsetTheOldestFirstInTheirCurrency() {
        let balances = [CreditNoteBalance(creditNoteId: 1, number: "A-CN001", currency: "USD", balanceCents: 300),
                        CreditNoteBalance(creditNoteId: 2, number: "B-CN001", currency: "EUR", balanceCents: 900),
                        CreditNoteBalance(creditNoteId: 3, number: "C-CN001", currency: "USD", balanceCents: 900)]
        let applied = InvoiceCreditNotes.apply(dueCents: 1_000, currency: "USD", balances: balances)
        #expect(applied.credits.map(\.amountCents) == [300, 700])
        #expect(applied.after.map(\.balanceCents) == [0, 900, 200])
    }
}
