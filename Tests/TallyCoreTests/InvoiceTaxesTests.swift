import Testing
@testable import TallyCore

/// docs/BILLING.md (taxes): each fee taxed exactly on its amount after coupons, rounded once per
/// fee and once per invoice, as Lago rounds them. Figures computed by hand.
@Suite struct InvoiceTaxesTests {
    private let vat = Tax(code: "vat_20", name: "VAT", rate: ExactDecimal(20))
    private let local = Tax(code: "local", name: "Local", rate: ExactDecimal(decimalString: "8.875")!)

    private func cents(_ value: Int64) -> ExactDecimal { ExactDecimal(significand: Int128(value), scale: 0) }

    @Test func twoTaxesOnOneFeeRoundOncePerFeeAndOncePerInvoice() throws {
        let result = try InvoiceTaxes.apply([(cents(1_000), [vat]), (cents(333), [vat, local]), (cents(500), [])])
        // 1000 × 20 % = 200.
        #expect(result.fees[0].amountCents == 200)
        // 333 × 20 % = 66.6 and 333 × 8.875 % = 29.55375: 96.15375 → 96, rates 28.875.
        #expect(result.fees[1].preciseAmount == ExactDecimal(decimalString: "96.15375"))
        #expect(result.fees[1].amountCents == 96)
        #expect(result.fees[1].rate == ExactDecimal(decimalString: "28.875"))
        #expect(result.fees[1].applied.map(\.amountCents) == [67, 30])
        #expect(result.fees[2] == .none)
        // Per tax over its fees: VAT 1333 × 20 % = 266.6 → 267; local 29.55375 → 30; the invoice's
        // taxes round their exact sum once: 296.15375 → 296 (not 267 + 30).
        #expect(result.invoice.map(\.tax.code) == ["local", "vat_20"])
        #expect(result.invoice.map(\.amountCents) == [30, 267])
        #expect(result.invoice.map(\.baseAmount) == [cents(333), cents(1_333)])
        #expect(result.amountCents == 296)
    }

    @Test func halfACentRoundsAwayFromZero() throws {
        let reduced = Tax(code: "reduced", name: "Reduced", rate: ExactDecimal(decimalString: "5.5")!)
        // 300 × 5.5 % = 16.5 → 17.
        #expect(try InvoiceTaxes.apply([(cents(300), [reduced])]).amountCents == 17)
        // A fee after a coupon share of 0.5: 299.5 × 20 % = 59.9 → 60.
        #expect(try InvoiceTaxes.apply([(ExactDecimal(decimalString: "299.5")!, [vat])]).fees[0].amountCents == 60)
    }

    @Test func appliedTaxesRoundTripThroughTheirStoredForm() throws {
        let result = try InvoiceTaxes.apply([(cents(333), [vat, local])])
        let stored = try #require(AppliedTax.json(result.fees[0].applied))
        #expect(AppliedTax.list(json: stored) == result.fees[0].applied)
        #expect(AppliedTax.list(json: nil) == [])
        #expect(AppliedTax.list(json: #"[{"code": "x"}]"#) == nil)
    }
}
