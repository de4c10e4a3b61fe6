import Testing
@testable import TallyCore

/// docs/BILLING.md (weekly plans and anniversary billing): the dated periods Lago's
/// `Subscriptions::Dates` services give, computed here by hand.
@Suite struct BillingScheduleTests {
    private func day(_ label: String) throws -> Int {
        try #require(DatedPeriod.day(ofLabel: label))
    }

    private func labels(_ period: DatedPeriod) -> [String] {
        [DatedPeriod.label(ofDay: period.firstDay), DatedPeriod.label(ofDay: period.lastDay), period.label]
    }

    private func schedule(
        _ interval: PlanInterval, anniversary: Bool, from start: String, timezone: String = "UTC"
    ) throws -> BillingSchedule {
        let instant = try #require(TimestampParser.parseRFC3339(Substring(start)))
        return try #require(BillingSchedule(interval: interval, anniversary: anniversary, startedAt: instant, timezone: timezone))
    }

    /// The first `count` periods from the one holding the schedule's start.
    private func periods(_ schedule: BillingSchedule, from start: String, count: Int) throws -> [[String]] {
        var period = try #require(schedule.period(containingDay: try day(start)))
        var result = [labels(period)]
        while result.count < count {
            period = try #require(schedule.period(after: period))
            result.append(labels(period))
        }
        return result
    }

    @Test func aSubscriptionOnJanuary31stBillsOnTheLastDayOfFebruary() throws {
        // Lago: the anniversary day is the 31st; a month without it starts its period on its last day.
        let monthly = try schedule(.monthly, anniversary: true, from: "2026-01-31T10:00:00Z")
        #expect(try periods(monthly, from: "2026-01-31", count: 4) == [
            ["2026-01-31", "2026-02-27", "2026-02-28"],
            ["2026-02-28", "2026-03-30", "2026-03-31"],
            ["2026-03-31", "2026-04-29", "2026-04-30"],
            ["2026-04-30", "2026-05-30", "2026-05-31"],
        ])
        // In a leap year the first period runs to February 28th and is billed on the 29th.
        let leap = try schedule(.monthly, anniversary: true, from: "2028-01-31T00:00:00Z")
        #expect(try periods(leap, from: "2028-01-31", count: 2) == [
            ["2028-01-31", "2028-02-28", "2028-02-29"],
            ["2028-02-29", "2028-03-30", "2028-03-31"],
        ])
        // Days in each: the denominator of a prorated fee.
        #expect(try #require(monthly.period(containingDay: try day("2026-02-10"))).days == 28)
        #expect(try #require(monthly.period(containingDay: try day("2026-03-10"))).days == 31)
        // A day before the anniversary in its month belongs to the previous month's period.
        #expect(try labels(#require(monthly.period(containingDay: try day("2026-03-30")))) == ["2026-02-28", "2026-03-30", "2026-03-31"])
    }

    @Test func quarterlyAndYearlyAnniversariesCrossTheYear() throws {
        let quarterly = try schedule(.quarterly, anniversary: true, from: "2026-11-30T00:00:00Z")
        #expect(try periods(quarterly, from: "2026-11-30", count: 3) == [
            ["2026-11-30", "2027-02-27", "2027-02-28"],
            ["2027-02-28", "2027-05-29", "2027-05-30"],
            ["2027-05-30", "2027-08-29", "2027-08-30"],
        ])
        let yearly = try schedule(.yearly, anniversary: true, from: "2028-02-29T00:00:00Z")
        #expect(try periods(yearly, from: "2028-02-29", count: 2) == [
            ["2028-02-29", "2029-02-27", "2029-02-28"],
            ["2029-02-28", "2030-02-27", "2030-02-28"],
        ])
        #expect(try #require(yearly.period(containingDay: try day("2028-06-01"))).days == 365)
        let semiannual = try schedule(.semiannual, anniversary: true, from: "2026-08-31T00:00:00Z")
        #expect(try periods(semiannual, from: "2026-08-31", count: 2) == [
            ["2026-08-31", "2027-02-27", "2027-02-28"],
            ["2027-02-28", "2027-08-30", "2027-08-31"],
        ])
    }

    @Test func weeksRunMondayToSundayOrFromTheStartingWeekday() throws {
        // 2026-10-28 is a Wednesday.
        let calendar = try schedule(.weekly, anniversary: false, from: "2026-10-28T15:00:00Z")
        #expect(try periods(calendar, from: "2026-10-28", count: 2) == [
            ["2026-10-26", "2026-11-01", "2026-11-02"],
            ["2026-11-02", "2026-11-08", "2026-11-09"],
        ])
        let anniversary = try schedule(.weekly, anniversary: true, from: "2026-10-28T15:00:00Z")
        #expect(try periods(anniversary, from: "2026-10-28", count: 2) == [
            ["2026-10-28", "2026-11-03", "2026-11-04"],
            ["2026-11-04", "2026-11-10", "2026-11-11"],
        ])
        #expect(try #require(anniversary.period(containingDay: try day("2026-11-03"))).days == 7)
        // Calendar-billed monthly plans have no schedule: their periods are calendar months.
        let start = try #require(TimestampParser.parseRFC3339("2026-10-28T15:00:00Z"))
        #expect(BillingSchedule(interval: .monthly, anniversary: false, startedAt: start, timezone: "UTC") == nil)
    }

    @Test func aWeekAcrossTheEndOfDaylightSavingIsSevenLocalDays() throws {
        // America/New_York leaves EDT (UTC−4) for EST (UTC−5) on Sunday 2026-11-01: the week of
        // October 26th starts at 04:00Z and ends at 05:00Z, 169 hours later.
        let weeks = try schedule(.weekly, anniversary: false, from: "2026-10-28T15:00:00Z", timezone: "America/New_York")
        let week = try #require(weeks.period(containingDay: try day("2026-10-30")))
        #expect(week.from == UTCInstant(year: 2026, month: 10, day: 26, hour: 4))
        #expect(week.to.microsecondsSinceEpoch == UTCInstant(year: 2026, month: 11, day: 2, hour: 5)!.microsecondsSinceEpoch - 1)
        #expect(week.days == 7)
        // 23:30 on Sunday local time is still that week; midnight starts the next.
        #expect(week.contains(try #require(TimestampParser.parseRFC3339("2026-11-02T04:30:00Z"))))
        #expect(!week.contains(try #require(TimestampParser.parseRFC3339("2026-11-02T05:00:00Z"))))
        // The anniversary of a subscription started late on a Wednesday local time (early Thursday UTC) is Wednesday.
        let local = try schedule(.weekly, anniversary: true, from: "2026-10-29T02:00:00Z", timezone: "America/New_York")
        #expect(try labels(#require(local.period(containingDay: try day("2026-10-29")))) == ["2026-10-28", "2026-11-03", "2026-11-04"])
    }

    @Test func aTerminationInsideAPeriodIsBilledOnItsDay() throws {
        let weeks = try schedule(.weekly, anniversary: true, from: "2026-10-01T00:00:00Z")
        let week = try #require(weeks.period(containingDay: try day("2026-10-10")))
        #expect(DatedPeriod.label(ofDay: week.billingDay(endingAt: UTCInstant(year: 2026, month: 10, day: 10, hour: 12))) == "2026-10-10")
        #expect(DatedPeriod.label(ofDay: week.billingDay(endingAt: week.to)) == "2026-10-15")
        #expect(DatedPeriod.label(ofDay: week.billingDay(endingAt: nil)) == "2026-10-15")
    }

    @Test func labelsAreStrictDates() {
        #expect(DatedPeriod.day(ofLabel: "2026-02-28") != nil)
        for bad in ["2026-02-29", "2026-13-01", "2026-1-01", "2026-01-1", "2026-01-01x", "+026-01-01", "2026-10"] {
            #expect(DatedPeriod.day(ofLabel: bad) == nil, "\(bad)")
        }
    }
}
