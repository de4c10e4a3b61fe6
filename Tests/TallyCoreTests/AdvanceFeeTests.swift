import Testing
@testable import TallyCore

/// docs/BILLING.md, pay-in-advance plan fees: the start fee and the next month's fee, from values.
/// Plan 3100 USD cents; October 2026 has 31 days, November 30.
@Suite struct AdvanceFeeTests {
    let subscription = Subscription(externalId: "sub", externalCustomerId: "cust", planCode: "ahead")

    func plan(trialDays: Int? = nil) -> Plan {
        Plan(code: "ahead", name: "Ahead", amountCents: 3100, currency: "USD", payInAdvance: true,
             trialPeriod: trialDays.map { ExactDecimal($0) })
    }

    func instant(_ text: String) throws -> UTCInstant {
        try #require(TimestampParser.parseRFC3339(text[...]))
    }

    @Test func theStartFeeBillsFromTheStartDayInTheCustomersTimezone() throws {
        // 02:00 UTC on 15 October is 22:00 on the 14th in New York: 14…31 October = 18 of 31 × 3100 = 1800.
        let start = try instant("2026-10-15T02:00:00Z")
        let october = try #require(BillingPeriod(year: 2026, month: 10, timezone: "America/New_York"))
        let fee = try #require(try SubscriptionRating.startFee(subscription: subscription, plan: plan(), startedAt: start, period: october))
        #expect(fee.amountCents == 1800)
        #expect(fee.preciseAmount == ExactDecimal(18))
        // From the start day's local midnight (EDT, UTC−4), to the month's end.
        #expect(fee.from == (try instant("2026-10-14T04:00:00Z")))
        #expect(fee.to == october.to)
        #expect(october.localDate(of: start) == "2026-10-14")
    }

    @Test func aTrialCoveringTheStartMonthLeavesNoStartFee() throws {
        let october = try #require(BillingPeriod(year: 2026, month: 10, timezone: "UTC"))
        // 20 days from 15 October ends on 4 November.
        #expect(try SubscriptionRating.startFee(subscription: subscription, plan: plan(trialDays: 20),
                                                startedAt: try instant("2026-10-15T00:00:00Z"), period: october) == nil)
    }

    @Test func theNextMonthIsBilledWholeOrFromTheTrialsEnd() throws {
        let october = try #require(BillingPeriod(year: 2026, month: 10, timezone: "UTC"))
        let start = try instant("2026-10-15T00:00:00Z")
        func advance(_ plan: Plan, endingAt: UTCInstant? = nil, billing: AdvanceBilling = .none) throws -> Int64? {
            try SubscriptionRating.advanceFee(subscription: subscription, plan: plan, startedAt: start, endingAt: endingAt,
                                              period: october, advance: billing)?.amountCents
        }
        #expect(try advance(plan()) == 3100)
        // The trial ends on 4 November: 4…30 November = 27 of 30 × 3100 = 2790.
        #expect(try advance(plan(trialDays: 20)) == 2790)
        // The trial ends on 14 December: November is covered, no line.
        #expect(try advance(plan(trialDays: 60)) == nil)
        // Ending within October: nothing ahead; ending within November: the full fee (no refund).
        #expect(try advance(plan(), endingAt: try instant("2026-10-20T12:00:00Z")) == nil)
        #expect(try advance(plan(), endingAt: try instant("2026-11-10T00:00:00Z")) == 3100)
        // Billed already (November was closed first), or a plan in arrears: none.
        #expect(try advance(plan(), billing: AdvanceBilling(nextFeeBilled: true)) == nil)
        var arrears = plan()
        arrears.payInAdvance = false
        #expect(try advance(arrears) == nil)
    }
}
