import Testing
import TallyCore

/// A stored fee and a re-rated one reduce to the same `FeeLine` when they bill the same, so
/// reprocess compares them alike.
@Suite struct FeeLineTests {
    /// `sub-b`'s October (New York) rated from two buckets: 1.5M small-input tokens (2 started
    /// millions at $2 = $4) and 2,000,001 large-output tokens in the default bucket (3 started
    /// millions at $1 = $3), then the $100 plan fee.
    func rerated() throws -> [InvoiceDraft.Line] {
        let catalog = try HandBuilt.catalog()
        let acme = try #require(catalog.customer(id: HandBuilt.acmeId))
        let usage = [HandBuilt.subBId: [
            UsageBucket(code: "ai_tokens", filterValues: ["model": "small", "type": "input"],
                        units: ExactDecimal(1_500_000), eventsCount: 3),
            UsageBucket(code: "ai_tokens", filterValues: ["model": "large", "type": "output"],
                        units: ExactDecimal(2_000_001), eventsCount: 2),
        ]]
        let rated = try #require(InvoiceDraft.rate(
            customer: acme, period: try HandBuilt.period(2026, 10, "America/New_York"), catalog: catalog, usage: usage))
        return rated.draft.fees.filter { $0.subscriptionId == HandBuilt.subBId }
    }

    /// The same three lines as the store holds them, written out by hand.
    func stored(smallInputUnits: String = "1500000") throws -> [InvoiceRecord.Fee] {
        let from = try HandBuilt.instant(2026, 10, 1, 4)
        let to = try HandBuilt.instant(2026, 11, 1, 3, 59, 59, microsecond: 999_999)
        return [
            InvoiceRecord.Fee(
                lagoId: "fee-1", subscriptionId: HandBuilt.subBId, kind: .charge, itemCode: "ai_tokens", itemName: "AI tokens",
                invoiceDisplayName: "AI tokens", filterInvoiceDisplayName: "small-input", filters: HandBuilt.smallInput,
                units: try HandBuilt.decimal(smallInputUnits), eventsCount: 3, preciseAmount: ExactDecimal(4),
                amountCents: 400, from: from, to: to),
            InvoiceRecord.Fee(
                lagoId: "fee-2", subscriptionId: HandBuilt.subBId, kind: .charge, itemCode: "ai_tokens", itemName: "AI tokens",
                invoiceDisplayName: "AI tokens", filterInvoiceDisplayName: nil, filters: nil,
                units: ExactDecimal(2_000_001), eventsCount: 2, preciseAmount: ExactDecimal(3), amountCents: 300,
                from: from, to: to),
            InvoiceRecord.Fee(
                lagoId: "fee-3", subscriptionId: HandBuilt.subBId, kind: .subscription, itemCode: "pro", itemName: "Pro",
                invoiceDisplayName: "Pro", filterInvoiceDisplayName: nil, filters: nil,
                units: ExactDecimal(1), eventsCount: 0, preciseAmount: ExactDecimal(100), amountCents: 10_000,
                from: from, to: to),
        ]
    }

    @Test func aStoredFeeAndItsReRatingAreTheSameLine() throws {
        let new = try rerated().map { FeeLine(subscriptionId: $0.subscriptionId, fee: $0.fee) }
        let old = try stored().map { $0.line(externalSubscriptionId: "sub-b") }
        try #require(new.count == 3)
        try #require(old.count == 3)
        for (stored, rerated) in zip(old, new) {
            #expect(stored.key == rerated.key)
            #expect(stored.figures == rerated.figures)
            #expect(stored.externalSubscriptionId == rerated.externalSubscriptionId)
            #expect(stored.filterInvoiceDisplayName == rerated.filterInvoiceDisplayName)
            #expect(stored.filterValues == rerated.filterValues)
        }
        #expect(FeeChange.between(old: old, new: new).isEmpty)
    }

    @Test func theKeyHoldsTheFilterAsJSONTextInTheFiltersOrder() throws {
        let lines = try stored().map { $0.line(externalSubscriptionId: "sub-b") }
        #expect(lines[0].key == FeeLine.Key(subscriptionId: HandBuilt.subBId, feeType: "charge", itemCode: "ai_tokens",
                                            filters: #"{"type":["input"],"model":["small"]}"#))
        #expect(lines[0].filterValues == .object(JSONObject([("type", ["input"]), ("model", ["small"])])))
        #expect(lines[1].key.filters == nil)
        #expect(lines[1].filterValues == nil)
        #expect(lines[2].key == FeeLine.Key(subscriptionId: HandBuilt.subBId, feeType: "subscription", itemCode: "pro", filters: nil))
        #expect(lines.map(\.externalSubscriptionId) == ["sub-b", "sub-b", "sub-b"])
    }

    @Test func otherFiguresMakeAChangedLine() throws {
        let new = try rerated().map { FeeLine(subscriptionId: $0.subscriptionId, fee: $0.fee) }
        let old = try stored(smallInputUnits: "1000000").map { $0.line(externalSubscriptionId: "sub-b") }
        let changes = FeeChange.between(old: old, new: new)
        #expect(changes.map(\.kind) == [.changed])
        #expect(changes.first?.filterInvoiceDisplayName == "small-input")
        #expect(changes.first?.before?.units == ExactDecimal(1_000_000))
        #expect(changes.first?.after?.units == ExactDecimal(1_500_000))
    }
}
