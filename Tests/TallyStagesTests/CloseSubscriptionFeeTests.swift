import Foundation
import Testing
import TallyCore
import TallyStages

/// docs/BILLING.md (billing periods, the prorated plan fee) through the pipeline: the plan's fixed fee,
/// billed in arrears, prorated in the first period by local days; charges count from the start instant.
@Suite struct CloseSubscriptionFeeTests {
    @Test func aSubscriptionStartingMidMonthIsProratedAndChargedFromItsStart() throws {
        let db = try TestDatabase()
        try db.applyCatalog(CloseCatalog.document(
            plans: [CloseCatalog.plan("tokens", amountCents: 3100, charges: [CloseCatalog.perFilterCharge])],
            customers: [CloseCatalog.customer("cust", timezone: "UTC")],
            subscriptions: [CloseCatalog.subscription("sub", customer: "cust", plan: "tokens", at: "2026-10-15T00:00:00Z")]))
        let path = try db.write("events.ndjson", [
            tokenEvent("before", subscription: "sub", at: "2026-10-14T23:59:59Z", tokens: 5_000_000),
            tokenEvent("start", subscription: "sub", at: "2026-10-15T00:00:00Z", tokens: 1_500_000),
            tokenEvent("later", subscription: "sub", at: "2026-10-31T23:59:59Z", tokens: 500_000, type: "output"),
        ].joined(separator: "\n") + "\n")
        expectCounts(try db.ingest(path), read: 3, accepted: 2, rejected: [.outsideSubscription: 1])
        try db.expectRejects(of: path, [(1, .outsideSubscription)])

        let summary = try db.close(.month(year: 2026, month: 10))
        try #require(summary.issued.count == 1)
        let invoice = try db.invoice("cust", "2026-10")
        let fees = try db.fees(of: invoice)
        try #require(fees.count == 3)

        // small-input: 1,500,000 tokens → ⌈1.5⌉ = 2 packages × 1.00 = 200 cents (the rejected 5M are not here).
        #expect(fees[0].feeType == "charge")
        #expect(fees[0].filterDisplayName == "small-input")
        #expect(fees[0].units == 1_500_000)
        #expect(fees[0].amountCents == Int64(packages(1_500_000, size: 1_000_000) * 100))
        // small-output: 500,000 tokens → 1 package × 2.00 = 200 cents.
        #expect(fees[1].filterDisplayName == "small-output")
        #expect(fees[1].amountCents == Int64(packages(500_000, size: 1_000_000) * 200))
        // Subscription: October has 31 days; from the 15th, 31 − 15 + 1 = 17 days × 3100 ÷ 31 = 1700 cents.
        let subscriptionFee = fees[2]
        #expect(subscriptionFee.feeType == "subscription")
        #expect(subscriptionFee.units == 1)
        #expect(subscriptionFee.amountCents == 17 * 3100 / 31)
        #expect(subscriptionFee.amountCents == 1700)
        #expect(subscriptionFee.preciseAmount == Decimal(string: "17.00"))
        // Every fee of the first period runs from the start instant to the end of the month.
        for fee in fees {
            #expect(fee.fromMicros == micros("2026-10-15T00:00:00Z"))
            #expect(fee.toMicros == lastMicrosecond(of: "2026-10-31T23:59:59Z"))
        }
        #expect(invoice.feesAmountCents == 200 + 200 + 1700)

        let document = try db.invoiceDocument("2026-10", invoice.number)
        let documentSubscriptionFee = try #require(document.fees.first { $0.item.type == "subscription" })
        #expect(documentSubscriptionFee.amount_cents == 1700)
        #expect(documentSubscriptionFee.item.code == "tokens")
        #expect(documentSubscriptionFee.from_date == "2026-10-15T00:00:00Z")
        #expect(documentSubscriptionFee.to_date == "2026-10-31T23:59:59Z")

        // The second period is billed in full, from the first of the month.
        _ = try db.close(.month(year: 2026, month: 11))
        let novemberFees = try db.fees(of: try db.invoice("cust", "2026-11"))
        #expect(novemberFees.map(\.feeType) == ["subscription"])
        #expect(novemberFees.first?.amountCents == 3100)
        #expect(novemberFees.first?.fromMicros == micros("2026-11-01T00:00:00Z"))
    }

    @Test func proratedDaysAreCountedInTheCustomersTimezoneAndRoundedHalfAwayFromZero() throws {
        let db = try TestDatabase()
        try db.applyCatalog(CloseCatalog.document(
            plans: [CloseCatalog.plan("monthly", amountCents: 3100, charges: []),
                    CloseCatalog.plan("odd", amountCents: 101, charges: [])],
            customers: [CloseCatalog.customer("ny", timezone: "America/New_York"), CloseCatalog.customer("utc")],
            subscriptions: [
                // 02:00Z on the 15th is 22:00 EDT on October 14: 31 − 14 + 1 = 18 local days billed.
                CloseCatalog.subscription("ny-sub", customer: "ny", plan: "monthly", at: "2026-10-15T02:00:00Z"),
                // November has 30 days; from the 16th, 30 − 16 + 1 = 15 days × 101 ÷ 30 = 50.5 → 51.
                CloseCatalog.subscription("utc-sub", customer: "utc", plan: "odd", at: "2026-11-16T00:00:00Z"),
            ]))
        _ = try db.close(.endedBefore(UTCInstant(year: 2026, month: 12, day: 2)!))

        let october = try db.fees(of: try db.invoice("ny", "2026-10"))
        #expect(october.map(\.amountCents) == [18 * 3100 / 31])
        #expect(october.first?.amountCents == 1800)
        #expect(october.first?.fromMicros == micros("2026-10-15T02:00:00Z"))
        let november = try db.fees(of: try db.invoice("utc", "2026-11"))
        #expect(november.map(\.amountCents) == [51])
        // The UTC customer has no invoice for October: its subscription had not started.
        #expect(try db.invoices().filter { $0.customer == "utc" }.map(\.period) == ["2026-11"])
    }
}
