import Foundation
import Testing
import TallyCore
import TallyStages

/// docs/BILLING.md, spending minimum per charge and minimum commitment, through catalog apply,
/// ingest, close and reprocess.
///
/// Plan `committed`: 10.00 USD a month, a commitment of 50.00 ("Committed spend"), and one package
/// charge on `ai_tokens` with a spending minimum of 8.00: 2.00 per started million small-input
/// tokens, 1.00 per million for the rest. The subscription starts on 15 September (UTC), so
/// September bills 30 − 15 + 1 = 16 of its 30 days.
@Suite struct CloseSpendingMinimumTests {
    static let catalog = CloseCatalog.document(
        plans: [#"""
            {"name": "Plan committed", "code": "committed", "amount_cents": 1000, "amount_currency": "USD",
             "interval": "monthly", "pay_in_advance": false,
             "minimum_commitment": {"amount_cents": 5000, "invoice_display_name": "Committed spend", "tax_codes": []},
             "charges": [{"billable_metric_id": "ai_tokens", "charge_model": "package", "min_amount_cents": 800,
                          "properties": \#(CloseCatalog.package("1")),
                          "filters": [\#(CloseCatalog.filter(
                              "small-input", values: #"{"model": ["small"], "type": ["input"]}"#, price: CloseCatalog.package("2")))]}]}
            """#],
        customers: [CloseCatalog.customer("cust")],
        subscriptions: [CloseCatalog.subscription("sub", customer: "cust", plan: "committed", at: "2026-09-15T00:00:00Z")])

    /// September closed with 1,500,000 small-input tokens.
    static func closedSeptember() throws -> TestDatabase {
        let db = try TestDatabase()
        try db.applyCatalog(catalog)
        try db.ingestAccepted([tokenEvent("e1", subscription: "sub", at: "2026-09-20T10:00:00Z", tokens: 1_500_000)])
        _ = try db.close(.month(year: 2026, month: 9))
        return db
    }

    @Test func closeBillsTheTrueUpAndTheCommitmentShortfall() throws {
        let db = try Self.closedSeptember()
        let invoice = try db.invoice("cust", "2026-09")
        let fees = try db.fees(of: invoice)

        struct Line: Equatable { let type: String; let filter: String?; let units: Decimal; let events: Int; let cents: Int64 }
        #expect(fees.map { Line(type: $0.feeType, filter: $0.filterDisplayName, units: $0.units, events: $0.eventsCount, cents: $0.amountCents) } == [
            // ⌈1.5⌉ = 2 packages × 2.00.
            Line(type: "charge", filter: "small-input", units: 1_500_000, events: 1, cents: 400),
            // The empty default bucket stays: the true-up points at it.
            Line(type: "charge", filter: nil, units: 0, events: 0, cents: 0),
            // 800 × 16 ÷ 30 = 426.66… − 400 = 26.66… → 27.
            Line(type: "charge_true_up", filter: nil, units: 1, events: 0, cents: 27),
            // 1000 × 16 ÷ 30 = 533.33… → 533.
            Line(type: "subscription", filter: nil, units: 1, events: 0, cents: 533),
            // 5000 × 16 ÷ 30 = 2666.66… → 2667, less 400 + 0 + 27 + 533 = 960: 1707.
            Line(type: "commitment", filter: nil, units: 1, events: 0, cents: 1707),
        ])
        // 26.66… ÷ 100 = 0.2666… → 0.266666666667; 26.67 − (4 + 0.266666666667 + 5.33) = 17.073333333333.
        #expect(fees[2].preciseAmount == Decimal(string: "0.266666666667"))
        #expect(fees[4].preciseAmount == Decimal(string: "17.073333333333"))
        // 960 + 1707: the prorated commitment.
        #expect(invoice.feesAmountCents == 2667)
        #expect(invoice.totalAmountCents == 2667)

        let data = try Data(contentsOf: URL(fileURLWithPath: db.invoicePath("2026-09", invoice.number)))
        let document = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let json = try #require(document["fees"] as? [[String: Any]])
        let items = json.compactMap { $0["item"] as? [String: Any] }
        #expect(items.compactMap { $0["type"] as? String } == ["charge", "charge", "charge", "subscription", "commitment"])
        #expect(items[4]["code"] as? String == "committed")
        #expect(items[4]["invoice_display_name"] as? String == "Committed spend")
        let ids = json.compactMap { $0["lago_id"] as? String }
        try #require(ids.count == 5)
        #expect(json[1]["lago_true_up_fee_id"] as? String == ids[2])
        #expect(json[2]["lago_true_up_parent_fee_id"] as? String == ids[1])
        #expect(json[0]["lago_true_up_fee_id"] is NSNull)
        #expect(json[4]["lago_true_up_parent_fee_id"] is NSNull)
    }

    @Test func reprocessingAnUnchangedPeriodLeavesItsTrueUpAndCommitmentAlone() throws {
        let db = try Self.closedSeptember()
        let before = try db.reprocessSnapshot(period: "2026-09")

        let summary = try db.reprocess(month: (2026, 9))

        #expect(summary.invoices.map(\.outcome) == [.unchanged])
        #expect(summary.invoices.flatMap(\.changes).isEmpty)
        #expect(try db.reprocessSnapshot(period: "2026-09") == before, "no row and no file changed")
    }

    @Test func aLateEventThatMeetsTheMinimumRemovesTheTrueUp() throws {
        let db = try Self.closedSeptember()
        // 2,000,000 large-input tokens: 2 packages × 1.00 = 200 in the default bucket; 400 + 200 = 600 ≥ 426.66….
        try db.ingestAccepted([tokenEvent("late", subscription: "sub", at: "2026-09-25T00:00:00Z", tokens: 2_000_000, model: "large")],
                              name: "late.ndjson")

        let summary = try db.reprocess(month: (2026, 9))

        let changes = try #require(summary.invoices.first?.changes)
        struct Change: Equatable { let kind: FeeChange.Kind; let type: String; let before: Int64?; let after: Int64? }
        #expect(changes.map { Change(kind: $0.kind, type: $0.feeType, before: $0.before?.amountCents, after: $0.after?.amountCents) } == [
            Change(kind: .changed, type: "charge", before: 0, after: 200),
            // 2667 − (400 + 200 + 533) = 1534.
            Change(kind: .changed, type: "commitment", before: 1707, after: 1534),
            Change(kind: .removed, type: "charge_true_up", before: 27, after: nil),
        ])
        #expect(try db.liveInvoice("cust", "2026-09").feesAmountCents == 2667)
    }
}
