import Foundation
import Testing
import TallyCore
import TallyStages

/// docs/BILLING.md (taxes) through catalog apply, ingest and close: Lago's precedence of tax codes,
/// each fee's taxes, the invoice's, and wallet credits applied on the total including taxes.
@Suite struct CloseTaxesTests {
    private static let taxes = #"""
        "taxes": [
          {"code": "vat_20", "name": "VAT", "rate": "20", "applied_to_organization": true},
          {"code": "reduced", "name": "Reduced rate", "rate": 5.5},
          {"code": "extra_2", "name": "Extra", "rate": "2", "description": "city tax"}
        ],
        """#

    /// `CloseCatalog.document` with the taxes above.
    private func document(plans: [String], customers: [String], subscriptions: [String], wallets: [String] = []) -> String {
        CloseCatalog.document(plans: plans, customers: customers, subscriptions: subscriptions, wallets: wallets)
            .replacingOccurrences(of: #""organization":"#, with: Self.taxes + #""organization":"#)
    }

    private func documentJSON(_ db: TestDatabase, _ invoice: InvoiceRow) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: db.invoicePath(invoice.period, invoice.number)))) as? [String: Any])
    }

    @Test func feesAreTaxedByChargePlanCustomerOrOrganizationCodes() throws {
        let db = try TestDatabase()
        // The charge is taxed at its own 5.5 %; the plan names none, so the fee takes the customer's
        // taxes, else the organization's default (VAT).
        let charge = CloseCatalog.charge(properties: CloseCatalog.package("1"))
            .replacingOccurrences(of: #""charge_model": "package", "#, with: #""charge_model": "package", "tax_codes": ["reduced"], "#)
        try db.applyCatalog(document(
            plans: [CloseCatalog.plan("taxed", amountCents: 1_000, charges: [charge]),
                    CloseCatalog.plan("plain", amountCents: 1_000, charges: [CloseCatalog.charge(properties: CloseCatalog.package("1"))])],
            customers: [CloseCatalog.customer("org-default"),
                        CloseCatalog.customer("own-taxes").replacingOccurrences(of: #""currency": "USD""#,
                                                                               with: #""currency": "USD", "tax_codes": ["vat_20", "extra_2"]"#)],
            subscriptions: [CloseCatalog.subscription("a", customer: "org-default", plan: "taxed", at: "2026-10-01T00:00:00Z"),
                            CloseCatalog.subscription("b", customer: "own-taxes", plan: "plain", at: "2026-10-01T00:00:00Z")],
            wallets: [CloseCatalog.wallet("prepaid", customer: "org-default", granted: "20")]))
        try db.ingestAccepted([
            tokenEvent("a1", subscription: "a", at: "2026-10-05T00:00:00Z", tokens: 3_000_000),
            tokenEvent("b1", subscription: "b", at: "2026-10-05T00:00:00Z", tokens: 1_000_000),
        ])
        let summary = try db.close(.month(year: 2026, month: 10))
        #expect(summary.issued.map(\.taxesAmountCents) == [217, 242])

        // org-default: charge 300 × 5.5 % = 16.5 → 17; fee 1000 × 20 % (the organization's VAT) = 200;
        // the invoice's taxes round 216.5 once → 217; 1300 + 217 = 1517, all paid by the wallet's 20.00.
        let a = try db.invoice("org-default", "2026-10")
        #expect(a.feesAmountCents == 1_300)
        #expect(a.taxesAmountCents == 217)
        #expect(a.subTotalExcludingTaxesAmountCents == 1_300)
        #expect(a.subTotalIncludingTaxesAmountCents == 1_517)
        #expect(a.prepaidCreditAmountCents == 1_517)
        #expect(a.totalAmountCents == 0)
        let json = try documentJSON(db, a)
        let fees = try #require(json["fees"] as? [[String: Any]])
        #expect(fees.map { $0["taxes_amount_cents"] as? Int } == [17, 200])
        #expect(fees.map { $0["total_amount_cents"] as? Int } == [317, 1_200])
        #expect(fees.map { ($0["applied_taxes"] as? [[String: Any]])?.first?["tax_code"] as? String } == ["reduced", "vat_20"])
        let applied = try #require(json["applied_taxes"] as? [[String: Any]])
        #expect(applied.map { $0["tax_code"] as? String } == ["reduced", "vat_20"])
        #expect(applied.map { $0["amount_cents"] as? Int } == [17, 200])
        #expect(applied.map { $0["fees_amount_cents"] as? Int } == [300, 1_000])
        #expect(json["taxes_amount_cents"] as? Int == 217)
        #expect(json["sub_total_including_taxes_amount_cents"] as? Int == 1_517)

        // The period's wallet transactions, for finance: the one debit of 15.17.
        let exported = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(
            fileURLWithPath: db.outDirectory + "/wallets/2026-10/wallet_transactions.json"))) as? [String: Any])
        let transactions = try #require(exported["wallet_transactions"] as? [[String: Any]])
        #expect(transactions.map { $0["amount_cents"] as? Int } == [1_517])
        #expect(transactions.map { $0["transaction_type"] as? String } == ["outbound"])
        #expect(transactions.map { $0["invoice_number"] as? String } == [a.number])

        // own-taxes: both fees take the customer's two taxes, 22 %: 100 → 22, 1000 → 220; 242.
        let b = try db.invoice("own-taxes", "2026-10")
        #expect(b.taxesAmountCents == 242)
        #expect(b.totalAmountCents == 1_342)
        let bFees = try #require(try documentJSON(db, b)["fees"] as? [[String: Any]])
        #expect(bFees.map { $0["taxes_rate"] as? Double } == [22, 22])
        #expect(bFees.map { ($0["applied_taxes"] as? [[String: Any]])?.count } == [2, 2])
    }

    @Test func anUnknownTaxCodeIsRefusedWithItsPath() throws {
        let db = try TestDatabase()
        let plan = CloseCatalog.plan("p", amountCents: 1_000, charges: [])
            .replacingOccurrences(of: #""interval": "monthly""#, with: #""interval": "monthly", "tax_codes": ["nope"]"#)
        let errors = try #require(throws: CatalogErrors.self) {
            try db.applyCatalog(document(plans: [plan], customers: [], subscriptions: []))
        }
        #expect(errors.errors.map(\.path) == ["plans[0].tax_codes[0]"])
        #expect(errors.errors.first?.message.contains("tax \"nope\" does not exist") == true)
    }
}
