import Testing
import TallyCore

@Suite struct SubscriptionFeeTests {
    private func october(_ timezone: String = "UTC", sourceLocation: SourceLocation = #_sourceLocation) throws -> BillingPeriod {
        try #require(BillingPeriod(year: 2026, month: 10, timezone: timezone), sourceLocation: sourceLocation)
    }

    private func at(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> UTCInstant {
        try #require(TimestampParser.parseRFC3339(text[...]), sourceLocation: sourceLocation)
    }

    private func fee(_ cents: Int64, _ period: BillingPeriod, start: String) throws -> Int64 {
        try SubscriptionFee.amountCents(planAmountCents: cents, period: period, subscriptionStart: try at(start))
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
}
