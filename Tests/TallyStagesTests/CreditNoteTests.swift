import Foundation
import Testing
import TallyCore
import TallyStages

/// docs/BILLING.md (credit notes) through close, `tally credit-note create` and the next closes:
/// the credit note's amounts, its number and file, and its credit taken by the next invoices
/// after taxes and before wallet credits.
@Suite struct CreditNoteTests {
    private func catalog() -> String {
        CloseCatalog.document(
            plans: [CloseCatalog.plan("base", amountCents: 1_000, charges: [CloseCatalog.charge(properties: CloseCatalog.package("1"))])],
            customers: [CloseCatalog.customer("cust")],
            subscriptions: [CloseCatalog.subscription("sub", customer: "cust", plan: "base", at: "2026-10-01T00:00:00Z")],
            wallets: [CloseCatalog.wallet("prepaid", customer: "cust", granted: "20")])
            .replacingOccurrences(of: #""organization":"#,
                                  with: #""taxes": [{"code": "vat_20", "name": "VAT", "rate": 20, "applied_to_organization": true}], "organization":"#)
    }

    private func json(_ path: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    }

    @Test func aCreditNoteOnOneFeeIsTakenByTheNextInvoiceBeforeTheWallet() throws {
        let db = try TestDatabase()
        try db.applyCatalog(catalog())
        try db.ingestAccepted([tokenEvent("a", subscription: "sub", at: "2026-10-05T00:00:00Z", tokens: 2_000_000)])
        let now = UTCInstant(year: 2027, month: 1, day: 15)!
        _ = try db.close(.month(year: 2026, month: 10), now: now)
        // October: 200 + 1000, VAT 240: 1440, of which the wallet's 20.00 pays 1440.
        let october = try db.invoice("cust", "2026-10")
        #expect((october.taxesAmountCents, october.prepaidCreditAmountCents, october.totalAmountCents) == (240, 1_440, 0))

        let document = try json(db.invoicePath("2026-10", october.number))
        let fees = try #require(document["fees"] as? [[String: Any]])
        let subscriptionFee = try #require(fees.first { ($0["item"] as? [String: Any])?["type"] as? String == "subscription" })
        let feeId = try #require(subscriptionFee["lago_id"] as? String)
        func create(_ items: [(String, Int64)]?, refund: Int64 = 0) throws -> CreditNoteReport {
            try CreditNoteStage.create(
                CreditNoteRequest(invoiceNumber: october.number, items: items.map { $0.map { (feeLagoId: $0.0, amountCents: $0.1) } },
                                  refundCents: refund, reason: .orderChange, description: "plan fee waived"),
                database: db.database, outDirectory: db.outDirectory, now: now)
        }
        // Nothing was paid in money (the wallet paid it all): no refund.
        #expect(throws: CreditNoteCommandError.self) { try create([(feeId, 1_000)], refund: 1) }
        #expect(throws: CreditNoteCommandError.self) { try create([(feeId, 1_001)]) }
        #expect(throws: CreditNoteCommandError.self) { try create([("nope", 1)]) }
        // The plan fee, whole: 1000 + VAT 200 = 1200 credited.
        let report = try create([(feeId, 1_000)])
        #expect(report.number == "\(october.number)-CN001")
        #expect((report.amounts.subTotalExcludingTaxesAmountCents, report.amounts.taxesAmountCents, report.amounts.creditAmountCents)
            == (1_000, 200, 1_200))
        // The fee is fully credited now.
        #expect(throws: CreditNoteCommandError.self) { try create([(feeId, 1)]) }
        let notePath = CreditNoteStage.directory(of: "2026-10", in: db.outDirectory) + "/\(report.number).json"
        #expect(try json(notePath)["balance_amount_cents"] as? Int == 1_200)
        #expect(try json(notePath)["credit_status"] as? String == "available")
        #expect(try json(notePath)["taxes_rate"] as? Double == 20)

        // November: 1000 + VAT 200 = 1200, all taken by the credit note; the wallet keeps its 5.60.
        _ = try db.close(.month(year: 2026, month: 11), now: now)
        let november = try db.invoice("cust", "2026-11")
        #expect((november.subTotalIncludingTaxesAmountCents, november.prepaidCreditAmountCents, november.totalAmountCents) == (1_200, 0, 0))
        let novemberJSON = try json(db.invoicePath("2026-11", november.number))
        #expect(novemberJSON["credit_notes_amount_cents"] as? Int == 1_200)
        let credit = try #require((novemberJSON["credits"] as? [[String: Any]])?.first)
        #expect((credit["item"] as? [String: Any])?["type"] as? String == "credit_note")
        #expect(credit["before_taxes"] as? Bool == false)
        #expect(try json(notePath)["balance_amount_cents"] as? Int == 0)
        #expect(try json(notePath)["credit_status"] as? String == "consumed")
        // December: the wallet's 5.60 left, then 6.40 due.
        _ = try db.close(.month(year: 2026, month: 12), now: now)
        let december = try db.invoice("cust", "2026-12")
        #expect((december.prepaidCreditAmountCents, december.totalAmountCents) == (560, 640))

        // A credited invoice is not voided and reissued by reprocessing.
        try db.ingestAccepted([tokenEvent("late", subscription: "sub", at: "2026-10-20T00:00:00Z", tokens: 1_000_000)], name: "late.ndjson")
        let reprocessed = try ReprocessStage(database: db.database, outDirectory: db.outDirectory).reprocess(year: 2026, month: 10)
        #expect(reprocessed.notReprocessed.map(\.customer) == ["cust"])
        #expect(reprocessed.notReprocessed.first?.reason.contains("credit note") == true)
    }
}
