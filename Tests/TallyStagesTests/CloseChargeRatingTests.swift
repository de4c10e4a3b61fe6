import Foundation
import Testing
import TallyCore
import TallyStages

/// docs/BILLING.md, rating through the pipeline: which charge filter an event is priced by, the default
/// bucket and unpriced usage, and the package arithmetic, checked in the fees table and the invoice
/// JSON.
@Suite struct CloseChargeRatingTests {
    static let twoKeyFilter = CloseCatalog.filter(
        "small-input", values: #"{"model": ["small"], "type": ["input"]}"#, price: CloseCatalog.package("1"))
    static let modelFilter = CloseCatalog.filter("small", values: #"{"model": ["small"]}"#, price: CloseCatalog.package("2"))
    static let typeFilter = CloseCatalog.filter("output", values: #"{"type": ["output"]}"#, price: CloseCatalog.package("4"))

    @Test func theFilterWithMostKeysWinsAndTiesGoToTheFirstInPlanOrder() throws {
        let db = try TestDatabase()
        try db.applyCatalog(CloseCatalog.document(
            plans: [
                // The same three filters in two orders; the default bucket costs 8.00 per million.
                CloseCatalog.plan("model-first", charges: [CloseCatalog.charge(
                    properties: CloseCatalog.package("8"), filters: [Self.twoKeyFilter, Self.modelFilter, Self.typeFilter])]),
                CloseCatalog.plan("type-first", charges: [CloseCatalog.charge(
                    properties: CloseCatalog.package("8"), filters: [Self.twoKeyFilter, Self.typeFilter, Self.modelFilter])]),
            ],
            customers: [CloseCatalog.customer("cust")],
            subscriptions: [
                CloseCatalog.subscription("sub-a", customer: "cust", plan: "model-first", at: "2026-10-01T00:00:00Z"),
                CloseCatalog.subscription("sub-b", customer: "cust", plan: "type-first", at: "2026-10-01T00:00:00Z"),
            ]))
        try db.ingestAccepted([
            // small+input matches the two-key filter and the one-key model filter: two keys win.
            tokenEvent("a1", subscription: "sub-a", at: "2026-10-05T10:00:00Z", tokens: 3_000_000, model: "small", type: "input"),
            // small+output matches the model filter and the type filter, one key each: the first in plan order.
            tokenEvent("a2", subscription: "sub-a", at: "2026-10-05T11:00:00Z", tokens: 5_000_000, model: "small", type: "output"),
            // large+output matches only the type filter.
            tokenEvent("a3", subscription: "sub-a", at: "2026-10-05T12:00:00Z", tokens: 7_000_000, model: "large", type: "output"),
            // large+input matches nothing: the default bucket.
            tokenEvent("a4", subscription: "sub-a", at: "2026-10-05T13:00:00Z", tokens: 11_000_000, model: "large", type: "input"),
            tokenEvent("b1", subscription: "sub-b", at: "2026-10-05T10:00:00Z", tokens: 3_000_000, model: "small", type: "input"),
            tokenEvent("b2", subscription: "sub-b", at: "2026-10-05T11:00:00Z", tokens: 5_000_000, model: "small", type: "output"),
        ])
        _ = try db.close(.month(year: 2026, month: 10))
        let invoice = try db.invoice("cust", "2026-10")
        let fees = try db.fees(of: invoice)

        struct Line: Equatable { let subscription: String; let filter: String?; let units: Decimal; let cents: Int64 }
        let lines = fees.map { Line(subscription: $0.subscription, filter: $0.filterDisplayName, units: $0.units, cents: $0.amountCents) }
        #expect(lines == [
            Line(subscription: "sub-a", filter: "small-input", units: 3_000_000, cents: 3 * 100),  // 3 packages × 1.00
            Line(subscription: "sub-a", filter: "small", units: 5_000_000, cents: 5 * 200),        // 5 packages × 2.00
            Line(subscription: "sub-a", filter: "output", units: 7_000_000, cents: 7 * 400),       // 7 packages × 4.00
            Line(subscription: "sub-a", filter: nil, units: 11_000_000, cents: 11 * 800),          // 11 packages × 8.00
            Line(subscription: "sub-b", filter: "small-input", units: 3_000_000, cents: 3 * 100),
            Line(subscription: "sub-b", filter: "output", units: 5_000_000, cents: 5 * 400),       // type filter first in plan b
        ])
        #expect(invoice.feesAmountCents == 300 + 1000 + 2800 + 8800 + 300 + 2000)

        // The JSON names each fee's filter by its values.
        let document = try db.invoiceDocument("2026-10", invoice.number)
        #expect(document.fees.map(\.item.filters) == [
            ["model": ["small"], "type": ["input"]], ["model": ["small"]], ["type": ["output"]], nil,
            ["model": ["small"], "type": ["input"]], ["type": ["output"]],
        ])
        #expect(document.fees.map(\.item.filter_invoice_display_name) == ["small-input", "small", "output", nil, "small-input", "output"])
    }

    @Test func anUnmatchedEventIsPricedByTheChargesOwnProperties() throws {
        let db = try TestDatabase()
        try db.applyCatalog(CloseCatalog.document(
            plans: [CloseCatalog.plan("tokens", charges: [CloseCatalog.charge(
                properties: CloseCatalog.package("5"), filters: [Self.twoKeyFilter])])],
            customers: [CloseCatalog.customer("cust")],
            subscriptions: [CloseCatalog.subscription("sub", customer: "cust", plan: "tokens", at: "2026-10-01T00:00:00Z")]))
        try db.ingestAccepted([
            tokenEvent("no-model", subscription: "sub", at: "2026-10-05T10:00:00Z", tokens: 1_500_000, model: nil, type: "input"),
            tokenEvent("bare", subscription: "sub", at: "2026-10-06T10:00:00Z", tokens: 250_000, model: nil, type: nil),
        ])
        let summary = try db.close(.month(year: 2026, month: 10))
        #expect(summary.unpriced.isEmpty)
        let fees = try db.fees(of: try db.invoice("cust", "2026-10"))
        try #require(fees.count == 1, "the small-input filter had no events: its fee is left off")
        // 1,500,000 + 250,000 = 1,750,000 tokens → ⌈1.75⌉ = 2 packages × 5.00 = 1000 cents.
        #expect(fees[0].filterDisplayName == nil)
        #expect(fees[0].filters == nil)
        #expect(fees[0].units == 1_750_000)
        #expect(fees[0].eventsCount == 2)
        #expect(fees[0].amountCents == Int64(packages(1_750_000, size: 1_000_000) * 500))
        #expect(fees[0].amountCents == 1000)
        #expect(fees[0].unpriced == false)
    }

    @Test func anUnmatchedEventWithoutDefaultPropertiesIsBilledZeroAndReportedUnpriced() throws {
        let db = try TestDatabase()
        try db.applyCatalog(CloseCatalog.document(
            plans: [CloseCatalog.plan("tokens", charges: [CloseCatalog.charge(properties: nil, filters: [Self.twoKeyFilter])])],
            customers: [CloseCatalog.customer("cust")],
            subscriptions: [CloseCatalog.subscription("sub", customer: "cust", plan: "tokens", at: "2026-10-01T00:00:00Z")]))
        try db.ingestAccepted([
            tokenEvent("priced", subscription: "sub", at: "2026-10-05T10:00:00Z", tokens: 2_000_000),
            tokenEvent("no-model", subscription: "sub", at: "2026-10-05T11:00:00Z", tokens: 2_500_000, model: nil, type: "output"),
            tokenEvent("bare", subscription: "sub", at: "2026-10-07T11:00:00Z", tokens: 700, model: nil, type: nil),
        ])
        let summary = try db.close(.month(year: 2026, month: 10))

        struct Warning: Equatable { let subscription: String; let metric: String; let values: [String: String]; let units: Decimal }
        let warnings = try summary.unpriced.map {
            Warning(subscription: $0.externalSubscriptionId, metric: $0.metricCode, values: $0.filterValues,
                    units: try decimal($0.units.description))
        }.sorted { $0.units < $1.units }
        #expect(warnings == [
            Warning(subscription: "sub", metric: "ai_tokens", values: [:], units: 700),
            Warning(subscription: "sub", metric: "ai_tokens", values: ["type": "output"], units: 2_500_000),
        ])

        let invoice = try db.invoice("cust", "2026-10")
        let fees = try db.fees(of: invoice)
        try #require(fees.count == 2)
        // The filter: 2 packages × 1.00 = 200 cents.
        #expect(fees[0].filterDisplayName == "small-input")
        #expect(fees[0].amountCents == 200)
        #expect(fees[0].unpriced == false)
        // The default bucket: 2,500,000 + 700 tokens at price 0.
        #expect(fees[1].filterDisplayName == nil)
        #expect(fees[1].units == 2_500_700)
        #expect(fees[1].eventsCount == 2)
        #expect(fees[1].amountCents == 0)
        #expect(fees[1].preciseAmount == 0)
        #expect(fees[1].unpriced == true)
        #expect(invoice.feesAmountCents == 200)

        let document = try db.invoiceDocument("2026-10", invoice.number)
        #expect(document.fees.map(\.amount_cents) == [200, 0])
        #expect(document.fees.map(\.units) == ["2000000", "2500700"])
    }

    @Test func packageCasesOfTheSpecThroughTheWholePipeline() throws {
        let db = try TestDatabase()
        let hundredPerTen = { (free: Int) in CloseCatalog.charge(properties: CloseCatalog.package("100", size: 10, free: free)) }
        let seed = CloseCatalog.charge(properties: CloseCatalog.package("1", size: 1_000_000))
        try db.applyCatalog(CloseCatalog.document(
            plans: [
                CloseCatalog.plan("free-0", charges: [hundredPerTen(0)]),
                CloseCatalog.plan("free-10", charges: [hundredPerTen(10)]),
                CloseCatalog.plan("free-200", charges: [hundredPerTen(200)]),
                CloseCatalog.plan("seed", charges: [seed]),
            ],
            customers: [CloseCatalog.customer("cust")],
            subscriptions: [
                CloseCatalog.subscription("s-free-0", customer: "cust", plan: "free-0", at: "2026-10-01T00:00:00Z"),
                CloseCatalog.subscription("s-free-10", customer: "cust", plan: "free-10", at: "2026-10-01T00:00:00Z"),
                CloseCatalog.subscription("s-free-200", customer: "cust", plan: "free-200", at: "2026-10-01T00:00:00Z"),
                CloseCatalog.subscription("s-seed-even", customer: "cust", plan: "seed", at: "2026-10-01T00:00:00Z"),
                CloseCatalog.subscription("s-seed-odd", customer: "cust", plan: "seed", at: "2026-10-01T00:00:00Z"),
                CloseCatalog.subscription("s-idle", customer: "cust", plan: "seed", at: "2026-10-01T00:00:00Z"),
            ]))
        var lines: [String] = []
        // 121 units as 100 + 21 on each of the three "100 per 10" subscriptions.
        for subscription in ["s-free-0", "s-free-10", "s-free-200"] {
            lines.append(tokenEvent("\(subscription)-1", subscription: subscription, at: "2026-10-03T00:00:00Z", tokens: 100))
            lines.append(tokenEvent("\(subscription)-2", subscription: subscription, at: "2026-10-04T00:00:00Z", tokens: 21))
        }
        lines.append(tokenEvent("even", subscription: "s-seed-even", at: "2026-10-05T00:00:00Z", tokens: 2_000_000))
        lines.append(tokenEvent("odd-1", subscription: "s-seed-odd", at: "2026-10-05T00:00:00Z", tokens: 2_000_000))
        lines.append(tokenEvent("odd-2", subscription: "s-seed-odd", at: "2026-10-06T00:00:00Z", tokens: 1))
        try db.ingestAccepted(lines)

        _ = try db.close(.month(year: 2026, month: 10))
        let invoice = try db.invoice("cust", "2026-10")
        let fees = try db.fees(of: invoice)
        // s-idle had no events: its 0-unit, 0-amount, 0-event fee is left off the invoice.
        #expect(fees.map(\.subscription) == ["s-free-0", "s-free-10", "s-free-200", "s-seed-even", "s-seed-odd"])
        try #require(fees.count == 5)

        // ⌈(121 − 0) ÷ 10⌉ = 13 packages × 100 = 1300.00 USD = 130000 cents.
        #expect(fees[0].amountCents == Int64(packages(121 - 0, size: 10) * 100 * 100))
        #expect(fees[0].amountCents == 130_000)
        #expect(fees[0].preciseAmount == 1300)
        // ⌈(121 − 10) ÷ 10⌉ = 12 packages × 100 = 1200.00 USD.
        #expect(fees[1].amountCents == Int64(packages(121 - 10, size: 10) * 100 * 100))
        #expect(fees[1].amountCents == 120_000)
        // 121 − 200 < 0: amount 0, but 121 units and 2 events keep the fee on the invoice.
        #expect(fees[2].amountCents == 0)
        #expect(fees[2].units == 121)
        #expect(fees[2].eventsCount == 2)
        // Seed price: ⌈2,000,000 ÷ 1,000,000⌉ × 1.00 = 200 cents; ⌈2,000,001 ÷ 1,000,000⌉ × 1.00 = 300 cents.
        #expect(fees[3].amountCents == Int64(packages(2_000_000, size: 1_000_000) * 100))
        #expect(fees[3].amountCents == 200)
        #expect(fees[4].units == 2_000_001)
        #expect(fees[4].amountCents == Int64(packages(2_000_001, size: 1_000_000) * 100))
        #expect(fees[4].amountCents == 300)
        #expect(invoice.feesAmountCents == 130_000 + 120_000 + 0 + 200 + 300)

        let document = try db.invoiceDocument("2026-10", invoice.number)
        #expect(document.fees.map(\.amount_cents) == [130_000, 120_000, 0, 200, 300])
        #expect(document.fees.map(\.units) == ["121", "121", "121", "2000000", "2000001"])
        #expect(try document.fees.map { try decimal($0.precise_amount) } == [1300, 1200, 0, 2, 3])
        #expect(document.fees_amount_cents == 250_500)
    }

    @Test func amountsAreRoundedHalfUpToTheCurrencysMinorUnitAndKeptPrecise() throws {
        let db = try TestDatabase()
        try db.applyCatalog(CloseCatalog.document(
            plans: [
                CloseCatalog.plan("half-cent", charges: [CloseCatalog.charge(properties: CloseCatalog.package("0.005", size: 1000))]),
                CloseCatalog.plan("under-half", charges: [CloseCatalog.charge(properties: CloseCatalog.package("0.004", size: 1000))]),
                CloseCatalog.plan("yen", amountCents: 1000, currency: "JPY",
                                  charges: [CloseCatalog.charge(properties: CloseCatalog.package("2.5"))]),
            ],
            customers: [CloseCatalog.customer("dollars"), CloseCatalog.customer("yen", currency: "JPY")],
            subscriptions: [
                CloseCatalog.subscription("s-half", customer: "dollars", plan: "half-cent", at: "2026-10-01T00:00:00Z"),
                CloseCatalog.subscription("s-under", customer: "dollars", plan: "under-half", at: "2026-10-01T00:00:00Z"),
                CloseCatalog.subscription("s-yen", customer: "yen", plan: "yen", at: "2026-10-15T00:00:00Z"),
            ]))
        try db.ingestAccepted([
            tokenEvent("h", subscription: "s-half", at: "2026-10-20T00:00:00Z", tokens: 1000),
            tokenEvent("u", subscription: "s-under", at: "2026-10-20T00:00:00Z", tokens: 1000),
            tokenEvent("y", subscription: "s-yen", at: "2026-10-20T00:00:00Z", tokens: 1_000_000),
        ])
        _ = try db.close(.month(year: 2026, month: 10))

        let dollarFees = try db.fees(of: try db.invoice("dollars", "2026-10"))
        // 1 package × 0.005 USD = 0.5 cent → 1 cent; 1 package × 0.004 USD = 0.4 cent → 0 cents.
        #expect(dollarFees.map(\.amountCents) == [1, 0])
        #expect(dollarFees.map(\.preciseAmount) == [Decimal(string: "0.005")!, Decimal(string: "0.004")!])

        let yen = try db.invoice("yen", "2026-10")
        #expect(yen.currency == "JPY")
        let yenFees = try db.fees(of: yen)
        // JPY has no minor unit: 1 package × 2.5 = 2.5 yen → 3; subscription 17 days × 1000 ÷ 31 = 548.39 → 548.
        #expect(yenFees.map(\.feeType) == ["charge", "subscription"])
        #expect(yenFees.map(\.amountCents) == [3, 548])
        #expect(yenFees.first?.preciseAmount == Decimal(string: "2.5")!)
        #expect(yen.feesAmountCents == 3 + 548)
        let document = try db.invoiceDocument("2026-10", yen.number)
        #expect(document.currency == "JPY")
        #expect(document.fees.map(\.amount_cents) == [3, 548])
        #expect(try decimal(document.fees.first?.precise_amount) == Decimal(string: "2.5")!)
    }
}
