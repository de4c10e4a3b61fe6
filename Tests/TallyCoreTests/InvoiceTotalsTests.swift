import Testing
import TallyCore

@Suite struct InvoiceTotalsTests {
    private func debit(_ walletId: Int64, granted: Int64, purchased: Int64) -> WalletDebit {
        WalletDebit(
            walletId: walletId, grantedCredits: ExactDecimal(Int(granted)), purchasedCredits: ExactDecimal(Int(purchased)),
            grantedAmountCents: granted, purchasedAmountCents: purchased)
    }

    @Test func totalsWithoutCreditsAreTheFees() throws {
        let totals = try InvoiceTotals(feeAmountsCents: [200, 300, 1700], debits: [])
        #expect(totals.feesAmountCents == 2200)
        #expect(totals.taxesAmountCents == 0)
        #expect(totals.subTotalExcludingTaxesAmountCents == 2200)
        #expect(totals.subTotalIncludingTaxesAmountCents == 2200)
        #expect(totals.prepaidCreditAmountCents == 0)
        #expect(totals.prepaidGrantedCreditAmountCents == 0)
        #expect(totals.prepaidPurchasedCreditAmountCents == 0)
        #expect(totals.totalAmountCents == 2200)
        #expect(totals.totalDueAmountCents == 2200)
    }

    @Test func creditsComeOffTheSubTotalSplitByKind() throws {
        let totals = try InvoiceTotals(
            feeAmountsCents: [2000, 500],
            debits: [debit(2, granted: 300, purchased: 0), debit(1, granted: 100, purchased: 1200)])
        #expect(totals.feesAmountCents == 2500)
        #expect(totals.prepaidGrantedCreditAmountCents == 400)
        #expect(totals.prepaidPurchasedCreditAmountCents == 1200)
        #expect(totals.prepaidCreditAmountCents == 1600)
        #expect(totals.totalAmountCents == 900)
        #expect(totals.totalDueAmountCents == 900)
    }

    @Test func creditsCoveringEverythingLeaveNothingDue() throws {
        let wallet = WalletBalance(
            walletId: 1, priority: 50, createdOrder: 1, currency: "USD", rateAmount: ExactDecimal(1),
            grantedCredits: ExactDecimal(25), purchasedCredits: ExactDecimal(100))
        let fees: [Int64] = [200, 300]
        let debits = try WalletLedger.debits(invoiceTotalCents: fees.reduce(0, +), currency: "USD", wallets: [wallet])
        let totals = try InvoiceTotals(feeAmountsCents: fees, debits: debits)
        #expect(totals.prepaidCreditAmountCents == 500)
        #expect(totals.prepaidGrantedCreditAmountCents == 500)
        #expect(totals.totalAmountCents == 0)
    }

    @Test func noFeesIsAnEmptyInvoice() throws {
        #expect(try InvoiceTotals(feeAmountsCents: [], debits: []).totalAmountCents == 0)
    }

    @Test func invoiceNumbersPadSequencesToThreeDigits() throws {
        #expect(InvoiceNumber.format(prefix: "MIS", customerSequence: 1, invoiceSequence: 1) == "MIS-001-001")
        #expect(InvoiceNumber.format(prefix: "MIS", customerSequence: 42, invoiceSequence: 7) == "MIS-042-007")
        #expect(InvoiceNumber.format(prefix: "MIS", customerSequence: 999, invoiceSequence: 100) == "MIS-999-100")
    }

    @Test func invoiceNumbersGrowPastThreeDigits() throws {
        #expect(InvoiceNumber.format(prefix: "ACM", customerSequence: 1234, invoiceSequence: 56789) == "ACM-1234-56789")
    }
}
