import Foundation
import Testing
import TallyCore
import TallyStages

/// docs/BILLING.md (coupons) through catalog apply, close and reprocess: coupons applied before
/// taxes in Lago's order, what is left of them carried to later invoices, and given back by a
/// voided invoice.
@Suite struct CloseCouponsTests {
    private static let sections = #"""
        "taxes": [{"code": "vat_20", "name": "VAT", "rate": "20"}],
        "coupons": [
          {"code": "welcome", "name": "Welcome", "coupon_type": "fixed_amount", "amount_cents": 5000, "amount_currency": "USD",
           "frequency": "once", "reusable": false, "expiration": "no_expiration"},
          {"code": "tenoff", "name": "Ten off", "coupon_type": "percentage", "percentage_rate": "10", "frequency": "recurring",
           "frequency_duration": 2, "expiration": "time_limit", "expiration_at": "2027-01-01T00:00:00Z"}
        ],
        "applied_coupons": [
          {"external_customer_id": "fixed", "coupon_code": "welcome"},
          {"external_customer_id": "percent", "coupon_code": "tenoff"}
        ],
        """#

    private func catalog() -> String {
        CloseCatalog.document(
            plans: [CloseCatalog.plan("base", amountCents: 3_000, charges: [CloseCatalog.charge(properties: CloseCatalog.package("1"))])],
            customers: [CloseCatalog.customer("fixed"),
                        CloseCatalog.customer("percent").replacingOccurrences(of: #""currency": "USD""#,
                                                                             with: #""currency": "USD", "tax_codes": ["vat_20"]"#)],
            subscriptions: [CloseCatalog.subscription("f", customer: "fixed", plan: "base", at: "2026-10-01T00:00:00Z"),
                            CloseCatalog.subscription("p", customer: "percent", plan: "base", at: "2026-10-01T00:00:00Z")])
            .replacingOccurrences(of: #""organization":"#, with: Self.sections + #""organization":"#)
    }

    @Test func couponsDiscountBeforeTaxesAndCarryWhatIsLeft() throws {
        let db = try TestDatabase()
        try db.applyCatalog(catalog())
        // Applying the same file again applies nothing twice.
        try db.applyCatalog(catalog())
        #expect(try db.scalar("SELECT count(*) FROM applied_coupons") == "2")
        let now = UTCInstant(year: 2027, month: 1, day: 15)!
        for month in 10...12 { _ = try db.close(.month(year: 2026, month: month), now: now) }

        // fixed: the 50.00 coupon takes October's 30.00, then November's last 20.00 of it.
        let fixed = try db.invoices().filter { $0.customer == "fixed" }
        #expect(fixed.map(\.feesAmountCents) == [3_000, 3_000, 3_000])
        #expect(fixed.map(\.subTotalExcludingTaxesAmountCents) == [0, 1_000, 3_000])
        #expect(fixed.map(\.totalAmountCents) == [0, 1_000, 3_000])
        // percent: 10 % of 30.00 = 3.00 off twice, then no more; VAT 20 % on what is left:
        // 2700 × 20 % = 540 → 3240, then 3000 + 600 = 3600 in December.
        let percent = try db.invoices().filter { $0.customer == "percent" }
        #expect(percent.map(\.taxesAmountCents) == [540, 540, 600])
        #expect(percent.map(\.totalAmountCents) == [3_240, 3_240, 3_600])

        let october = try #require(fixed.first)
        let json = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: db.invoicePath("2026-10", october.number)))) as? [String: Any])
        #expect(json["coupons_amount_cents"] as? Int == 3_000)
        let credit = try #require((json["credits"] as? [[String: Any]])?.first)
        #expect(credit["amount_cents"] as? Int == 3_000)
        #expect((credit["item"] as? [String: Any])?["code"] as? String == "welcome")
        #expect(credit["before_taxes"] as? Bool == true)

        // Late October usage: 1,000,000 tokens → 1.00. Reprocessing voids October, gives its 30.00
        // back to the coupon (20.00 of which November took), and the new October takes the 30.00
        // left: 31.00 − 30.00 = 1.00 due. In all, 50.00 of coupon, as an uninterrupted history.
        try db.ingestAccepted([tokenEvent("late", subscription: "f", at: "2026-10-20T00:00:00Z", tokens: 1_000_000)])
        let stage = ReprocessStage(database: db.database, outDirectory: db.outDirectory)
        let dry = try stage.reprocess(year: 2026, month: 10, customer: "fixed", dryRun: true)
        #expect(dry.invoices.map(\.new.totalAmountCents) == [100])
        _ = try stage.reprocess(year: 2026, month: 10, customer: "fixed")
        let reissued = try db.invoices().filter { $0.customer == "fixed" && $0.period == "2026-10" && $0.status == "finalized" }
        #expect(reissued.map(\.totalAmountCents) == [100])
        #expect(try db.scalar("""
            SELECT sum(c.amount_cents) FROM credits c JOIN invoices i ON i.id = c.invoice_id WHERE i.status <> 'voided'
              AND i.customer_id = (SELECT id FROM customers WHERE external_id = 'fixed')
            """) == "5000")
    }

    @Test func appliedCouponsAreCheckedWhenApplied() throws {
        let db = try TestDatabase()
        func errors(_ text: String) throws -> [String] {
            do {
                try db.applyCatalog(text)
                return []
            } catch let error as CatalogErrors {
                return error.errors.map(\.path)
            }
        }
        #expect(try errors(catalog().replacingOccurrences(of: #""coupon_code": "tenoff""#, with: #""coupon_code": "nope""#))
            == ["applied_coupons[1].coupon_code"])
        // An expired coupon cannot be applied any more.
        #expect(try errors(catalog().replacingOccurrences(of: "2027-01-01T00:00:00Z", with: "2020-01-01T00:00:00Z"))
            == ["applied_coupons[1].coupon_code"])
        try db.applyCatalog(catalog())
        // Once applied, its terms cannot change.
        #expect(try errors(catalog().replacingOccurrences(of: #""amount_cents": 5000"#, with: #""amount_cents": 6000"#))
            == ["coupons[0]"])
    }
}
