import Testing
import TallyCore

@Suite struct SubscriptionFeeTests {
    private func october(_ timezone: String = "UTC", sourceLocation: SourceLocation = #_sourceLocation) throws -> BillingPeriod {
        try #require(BillingPeriod(year: 2026, month: 10, timezone: timezone), sourceLocation: sourceLocation)
    }

    private func at(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> UTCInstant {
        try #require(TimestampParser.parseRFC3339(text[...]), sourceLocation: sourceLocation)
    }

    private func fee(
        _ cents: Int64, _ period: BillingPeriod, start: String, end: String? = nil, trialDays: String? = nil
    ) throws -> Int64 {
        let startedAt = try at(start)
        let plan = Plan(code: "p", name: "P", amountCents: cents, currency: "USD",
                        trialPeriod: try trialDays.map { try #require(ExactDecimal(decimalString: $0)) })
        return try SubscriptionFee.amountCents(
            planAmountCents: cents, period: PlanPeriod(month: period), startedAt: startedAt, endingAt: try end.map { try at($0) },
            trialEnd: plan.trialEnd(startedAt: startedAt))
    }

    @Test func aSubscriptionStartedBeforeThePeriodPaysTheFullFee() throws {
        #expect(try fee(3100, october(), start: "2026-09-15T00:00:00Z") == 3100)
    }

    @Test func theFirstPeriodIsProratedByDaysStartDayIncluded() throws {
        // October has 31 days; from the 15th to the 31st is 17 days: 17 × 3100 ÷ 31.
        #expect(try fee(3100, october(), start: "2026-10-15T12:34:56Z") == 1700)
    }

    @Test func startingOnTheFirstDayPaysTheFullFee() throws {
        #expect(try fee(3100, october(), start: "2026-10-01T00:00:00Z") == 3100)
        #expect(try fee(3100, october(), start: "2026-10-01T23:59:59Z") == 3100)
    }

    @Test func startingOnTheLastDayPaysOneDay() throws {
        #expect(try fee(3100, october(), start: "2026-10-31T23:59:59.999999Z") == 100)
    }

    @Test func daysAreCountedInThePeriodsTimezone() throws {
        // 2026-10-15T02:00Z is October 14 in New York: 18 days billed there, 17 in UTC.
        #expect(try fee(3100, october("America/New_York"), start: "2026-10-15T02:00:00Z") == 1800)
        #expect(try fee(3100, october("UTC"), start: "2026-10-15T02:00:00Z") == 1700)
        // 2026-10-01T03:00Z is still September in New York: the whole of October is billed.
        #expect(try fee(3100, october("America/New_York"), start: "2026-10-01T03:00:00Z") == 3100)
    }

    @Test func proratedFeesRoundHalfAwayFromZero() throws {
        // 30-day November, 15 days × 1001 ÷ 30 = 500.5 → 501; 1 day × 1000 ÷ 30 = 33.33… → 33.
        let november = try #require(BillingPeriod(year: 2026, month: 11, timezone: "UTC"))
        #expect(try fee(1001, november, start: "2026-11-16T00:00:00Z") == 501)
        #expect(try fee(1000, november, start: "2026-11-30T00:00:00Z") == 33)
        // 29 of 30 days × 1000 = 966.66… → 967.
        #expect(try fee(1000, november, start: "2026-11-02T00:00:00Z") == 967)
    }

    @Test func aFreePlanHasNoFee() throws {
        #expect(try fee(0, october(), start: "2026-10-15T00:00:00Z") == 0)
        #expect(try fee(0, october(), start: "2026-01-01T00:00:00Z") == 0)
    }

    @Test func aSubscriptionStartingAfterThePeriodPaysNothingForIt() throws {
        #expect(try fee(3100, october(), start: "2026-11-01T00:00:00Z") == 0)
    }

    // MARK: Trials (Lago: the fee starts on the trial's last day, prorated like a first period)

    @Test func aTrialEndingMidPeriodBillsFromItsLastDay() throws {
        // Ten days from October 1st 00:00 end on October 11th 00:00: days 11…31 = 21 × 3100 ÷ 31.
        #expect(try fee(3100, october(), start: "2026-10-01T00:00:00Z", trialDays: "10") == 2100)
        // Begun in September, fourteen days end on 2026-10-09T12:00Z: days 9…31 = 23.
        #expect(try fee(3100, october(), start: "2026-09-25T12:00:00Z", trialDays: "14") == 2300)
        // In New York the trial ends at local midnight of October 11th too.
        #expect(try fee(3100, october("America/New_York"), start: "2026-10-01T04:00:00Z", trialDays: "10") == 2100)
    }

    @Test func aTrialCoveringThePeriodBillsNothing() throws {
        #expect(try fee(3100, october(), start: "2026-09-20T00:00:00Z", trialDays: "60") == 0)
        // Half a day from noon on the last day ends after the period: nothing billed.
        #expect(try fee(3100, october(), start: "2026-10-31T12:00:00Z", trialDays: "0.5") == 0)
    }

    @Test func aTrialOverBeforeThePeriodChangesNothing() throws {
        #expect(try fee(3100, october(), start: "2026-08-01T00:00:00Z", trialDays: "30") == 3100)
    }

    @Test func aFractionalTrialEndsToTheMicrosecond() throws {
        let plan = Plan(code: "p", name: "P", amountCents: 1, currency: "USD", trialPeriod: ExactDecimal(decimalString: "1.5"))
        #expect(plan.trialEnd(startedAt: try at("2026-10-01T00:00:00Z")) == (try at("2026-10-02T12:00:00Z")))
        // Half a day from the last day's midnight ends on that day: one day billed.
        #expect(try fee(3100, october(), start: "2026-10-31T00:00:00Z", trialDays: "0.5") == 100)
    }

    // MARK: Terminations (Lago: the fee up to the termination day, that day included)

    @Test func aTerminationBillsUpToItsDay() throws {
        // On the first day: 1 day. On the 14th at midnight: 14 days. On the last day: the whole month.
        #expect(try fee(3100, october(), start: "2026-01-01T00:00:00Z", end: "2026-10-01T10:00:00Z") == 100)
        #expect(try fee(3100, october(), start: "2026-01-01T00:00:00Z", end: "2026-10-14T00:00:00Z") == 1400)
        #expect(try fee(3100, october(), start: "2026-01-01T00:00:00Z", end: "2026-10-31T18:00:00Z") == 3100)
        // Started on the 10th and ended on the 20th: 11 days.
        #expect(try fee(3100, october(), start: "2026-10-10T08:00:00Z", end: "2026-10-20T08:00:00Z") == 1100)
        // Ended before the period: nothing.
        #expect(try fee(3100, october(), start: "2026-01-01T00:00:00Z", end: "2026-09-30T23:00:00Z") == 0)
    }

    @Test func aTerminationDayIsTheCustomersDay() throws {
        // 2026-11-10T04:30Z is 23:30 on November 9th in New York (EST): 9 of 30 days × 3000.
        let november = try #require(BillingPeriod(year: 2026, month: 11, timezone: "America/New_York"))
        #expect(try fee(3000, november, start: "2026-01-01T00:00:00Z", end: "2026-11-10T04:30:00Z") == 900)
    }

    @Test func aTrialAndATerminationInOnePeriod() throws {
        // The trial ends on the 11th, the subscription on the 20th: days 11…20 = 10.
        #expect(try fee(3100, october(), start: "2026-10-01T00:00:00Z", end: "2026-10-20T12:00:00Z", trialDays: "10") == 1000)
        // Ended during its trial: nothing.
        #expect(try fee(3100, october(), start: "2026-10-01T00:00:00Z", end: "2026-10-05T12:00:00Z", trialDays: "10") == 0)
    }
}
