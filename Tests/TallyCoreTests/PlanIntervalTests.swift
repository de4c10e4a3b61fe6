import Testing
import TallyCore

/// docs/BILLING.md (plan intervals): calendar quarters, half-years and years, what each month's
/// invoice bills of them, and their prorated fees.
@Suite struct PlanIntervalTests {
    private func month(_ year: Int, _ month: Int, _ timezone: String = "UTC") throws -> BillingPeriod {
        try #require(BillingPeriod(year: year, month: month, timezone: timezone))
    }

    private func at(_ text: String) throws -> UTCInstant {
        try #require(TimestampParser.parseRFC3339(text[...]))
    }

    private func plan(_ interval: PlanInterval, amountCents: Int64 = 9_000, chargesMonthly: Bool = false) -> Plan {
        Plan(code: "p", name: "P", amountCents: amountCents, currency: "USD", interval: interval,
             billChargesMonthly: chargesMonthly)
    }

    @Test func periodsAreCalendarAlignedAndCountTheirDays() throws {
        let q4 = PlanPeriod(.quarterly, containing: try month(2026, 11))
        #expect(q4.months.map(\.label) == ["2026-10", "2026-11", "2026-12"])
        #expect(q4.days == 31 + 30 + 31)
        // Across the year boundary the next quarter starts in January: 31 + 28 + 31 days.
        let q1 = PlanPeriod(.quarterly, containing: try month(2027, 1))
        #expect(q1.months.map(\.label) == ["2027-01", "2027-02", "2027-03"] && q1.days == 90)
        #expect(PlanPeriod(.semiannual, containing: try month(2026, 7)).months.map(\.label).first == "2026-07")
        #expect(PlanPeriod(.semiannual, containing: try month(2026, 7)).days == 184)
        #expect(PlanPeriod(.yearly, containing: try month(2028, 6)).days == 366, "2028 is a leap year")
        #expect(PlanPeriod(.monthly, containing: try month(2026, 2)).days == 28)
        // In New York the quarter runs from local midnight of October 1st (EDT) to the end of December 31st (EST).
        let newYork = PlanPeriod(.quarterly, containing: try month(2026, 12, "America/New_York"))
        #expect(newYork.from == (try at("2026-10-01T04:00:00Z")))
        #expect(newYork.to.microsecondsSinceEpoch == (try at("2027-01-01T05:00:00Z")).microsecondsSinceEpoch - 1)
    }

    @Test func aQuarterlyPlanBillsInTheQuartersLastMonthOrWhereItEnds() throws {
        let quarterly = plan(.quarterly)
        for (number, due) in [(10, false), (11, false), (12, true)] {
            let bill = SubscriptionRating.due(plan: quarterly, month: try month(2026, number), endingAt: nil)
            #expect((bill.fee != nil) == due && (bill.charges != nil) == due, "month \(number)")
        }
        // Ending in November: November's invoice is its last, for the quarter so far.
        let ending = SubscriptionRating.due(plan: quarterly, month: try month(2026, 11), endingAt: try at("2026-11-10T12:00:00Z"))
        #expect(ending.fee?.months.first?.label == "2026-10" && ending.charges != nil)
        #expect(SubscriptionRating.due(plan: plan(.monthly), month: try month(2026, 10), endingAt: nil).fee?.days == 31)
    }

    @Test func aYearlyPlanMayBillItsChargesMonthly() throws {
        let yearly = plan(.yearly, chargesMonthly: true)
        let october = SubscriptionRating.due(plan: yearly, month: try month(2026, 10), endingAt: nil)
        #expect(october.fee == nil && october.charges?.months.map(\.label) == ["2026-10"])
        let december = SubscriptionRating.due(plan: yearly, month: try month(2026, 12), endingAt: nil)
        #expect(december.fee?.days == 365 && december.charges?.days == 31)
    }

    @Test func feesAreProratedByTheDaysOfThePlansPeriod() throws {
        let q1 = PlanPeriod(.quarterly, containing: try month(2027, 3))
        // From February 15th to March 31st: 14 + 31 = 45 of Q1's 90 days × 9000 = 4500.
        #expect(try SubscriptionFee.amountCents(planAmountCents: 9_000, period: q1, startedAt: try at("2027-02-15T08:00:00Z"),
                                                endingAt: nil) == 4_500)
        // Ended on November 10th: October 1st…November 10th = 41 of Q4's 92 days × 9200 = 4100.
        let q4 = PlanPeriod(.quarterly, containing: try month(2026, 11))
        #expect(try SubscriptionFee.amountCents(planAmountCents: 9_200, period: q4, startedAt: try at("2026-01-01T00:00:00Z"),
                                                endingAt: try at("2026-11-10T12:00:00Z")) == 4_100)
        // A year started on October 1st: 92 of 2026's 365 days × 36500 = 9200.
        let year = PlanPeriod(.yearly, containing: try month(2026, 12))
        #expect(try SubscriptionFee.amountCents(planAmountCents: 36_500, period: year, startedAt: try at("2026-10-01T00:00:00Z"),
                                                endingAt: nil) == 9_200)
    }

    @Test func aWeightedSumOverAQuarterHoldsEachMonthsValuesFromTheirOwnMonth() throws {
        let q4 = PlanPeriod(.quarterly, containing: try month(2026, 12))
        let metric = BillableMetric(code: "m", name: "M", aggregationType: .weightedSumAgg, fieldName: "v")
        // 10 added at October 1st 00:00, 5 at November 1st 00:00: each bucket's weighted micros count
        // from its own month's start, so both are 0.
        var october = UsageBucket(code: "m", filterValues: [:], units: ExactDecimal(10), eventsCount: 1)
        october.month = CalendarMonth(year: 2026, month: 10)
        october.weightedMicros = .zero
        var november = UsageBucket(code: "m", filterValues: [:], units: ExactDecimal(5), eventsCount: 1)
        november.month = CalendarMonth(year: 2026, month: 11)
        november.weightedMicros = .zero
        let units = try UsageAggregation(metric: metric, period: q4, from: q4.from, to: q4.to).aggregate([october, november]).units
        // 10 held 92 days and 5 held 61 days, over the quarter's 92: 1225 ÷ 92, up at 20 decimals.
        #expect(units == ExactDecimal(1225).divided(by: ExactDecimal(92), scale: 20, .up))
        #expect(units.description.hasPrefix("13.3152173913"))
    }
}
