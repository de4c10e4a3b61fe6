import Foundation
import Testing
@testable import TallyCore

@Suite struct BillingPeriodTests {
    @Test func newYorkOctoberIsBoundedByLocalMidnightsInDaylightTime() throws {
        let october = try #require(BillingPeriod(year: 2026, month: 10, timezone: "America/New_York"))
        #expect(october.from.description == "2026-10-01T04:00:00Z")
        #expect(october.to.description == "2026-11-01T03:59:59.999999Z")
        #expect(october.label == "2026-10")
        #expect(october.description == "2026-10")
        #expect(october.daysInMonth == 31)
    }

    @Test func newYorkNovemberStartsInDaylightTimeAndEndsInStandardTime() throws {
        let november = try #require(BillingPeriod(year: 2026, month: 11, timezone: "America/New_York"))
        #expect(november.from.description == "2026-11-01T04:00:00Z")
        #expect(november.to.description == "2026-12-01T04:59:59.999999Z")
        #expect(november.daysInMonth == 30)
    }

    @Test func theLastMicrosecondOfOctoberInNewYorkIsInOctober() throws {
        let lastOfOctober = try instant("2026-11-01T03:59:59.999999Z")
        let firstOfNovember = try instant("2026-11-01T04:00:00Z")
        let october = try #require(BillingPeriod.containing(lastOfOctober, timezone: "America/New_York"))
        let november = try #require(BillingPeriod.containing(firstOfNovember, timezone: "America/New_York"))
        #expect(october.label == "2026-10")
        #expect(october.contains(lastOfOctober))
        #expect(!october.contains(firstOfNovember))
        #expect(november.label == "2026-11")
        #expect(november.contains(firstOfNovember))
        #expect(!november.contains(lastOfOctober))
        #expect(october.next == november)
        #expect(november.previous == october)
    }

    @Test func parisMonthsFollowCentralEuropeanSummerTime() throws {
        let march = try #require(BillingPeriod(year: 2026, month: 3, timezone: "Europe/Paris"))
        #expect(march.from.description == "2026-02-28T23:00:00Z")
        #expect(march.to.description == "2026-03-31T21:59:59.999999Z")
        let october = try #require(BillingPeriod(year: 2026, month: 10, timezone: "Europe/Paris"))
        #expect(october.from.description == "2026-09-30T22:00:00Z")
        #expect(october.to.description == "2026-10-31T22:59:59.999999Z")
        #expect(BillingPeriod.containing(try instant("2026-10-31T23:00:00Z"), timezone: "Europe/Paris")?.label == "2026-11")
    }

    @Test func utcMonthsAreCalendarMonths() throws {
        let february = try #require(BillingPeriod(year: 2028, month: 2, timezone: "UTC"))
        #expect(february.from.description == "2028-02-01T00:00:00Z")
        #expect(february.to.description == "2028-02-29T23:59:59.999999Z")
        #expect(february.daysInMonth == 29)
        #expect(BillingPeriod(year: 2026, month: 2, timezone: "UTC")?.daysInMonth == 28)
    }

    @Test func containingUsesTheLocalDateNotTheUTCDate() throws {
        // 2026-10-01T02:00Z is still September 30 in New York, already October 1 in UTC.
        let evening = try instant("2026-10-01T02:00:00Z")
        #expect(BillingPeriod.containing(evening, timezone: "America/New_York")?.label == "2026-09")
        #expect(BillingPeriod.containing(evening, timezone: "UTC")?.label == "2026-10")
    }

    @Test func nextAndPreviousCrossTheYear() throws {
        let december = try #require(BillingPeriod(year: 2026, month: 12, timezone: "America/New_York"))
        let january = december.next
        #expect(january.label == "2027-01")
        #expect(january.timezone == "America/New_York")
        #expect(january.from.description == "2027-01-01T05:00:00Z")
        #expect(january.from.microsecondsSinceEpoch == december.to.microsecondsSinceEpoch + 1)
        #expect(january.previous == december)
    }

    @Test func periodsOrderByMonth() throws {
        let september = try #require(BillingPeriod(year: 2026, month: 9, timezone: "UTC"))
        #expect(september < september.next)
        #expect(september.previous < september)
        #expect([september.next, september.previous, september].sorted() == [september.previous, september, september.next])
    }

    @Test func localDayCountsInThePeriodsTimezone() throws {
        let october = try #require(BillingPeriod(year: 2026, month: 10, timezone: "America/New_York"))
        #expect(october.localDay(of: october.from) == 1)
        #expect(october.localDay(of: october.to) == 31)
        #expect(october.localDay(of: try instant("2026-10-16T03:59:59Z")) == 15)
        #expect(october.localDay(of: try instant("2026-10-16T04:00:00Z")) == 16)
    }

    @Test func parseAcceptsOnlyYearDashMonth() throws {
        let period = try #require(BillingPeriod.parse(label: "2026-10", timezone: "Europe/Paris"))
        #expect(period == BillingPeriod(year: 2026, month: 10, timezone: "Europe/Paris"))
        for label in ["2026-1", "2026-13", "2026-00", "26-10", "2026/10", "2026-10 ", " 2026-10", "2026-10-01",
                      "+026-10", "2026-+1", "0000-01", "２０２６-10", ""] {
            #expect(BillingPeriod.parse(label: label, timezone: "UTC") == nil, "\(label)")
        }
    }

    @Test func unknownTimezonesGiveNoPeriod() throws {
        #expect(BillingPeriod(year: 2026, month: 10, timezone: "Mars/Olympus_Mons") == nil)
        #expect(BillingPeriod.containing(try instant("2026-10-01T00:00:00Z"), timezone: "Mars/Olympus_Mons") == nil)
        #expect(BillingPeriod.parse(label: "2026-10", timezone: "") == nil)
        #expect(BillingPeriod(year: 2026, month: 13, timezone: "UTC") == nil)
    }

    @Test func aMidnightSkippedBySpringForwardStartsTheDayAtTheTransition() throws {
        // Havana: 2026-03-08 00:00 CST jumps to 01:00 CDT; Santiago: 2026-09-06 00:00 -04 jumps to 01:00 -03.
        #expect(try start(2026, 3, 8, "America/Havana") == "2026-03-08T05:00:00Z")
        #expect(try start(2026, 9, 6, "America/Santiago") == "2026-09-06T04:00:00Z")
    }

    @Test func aMidnightRepeatedByFallBackStartsTheDayAtItsFirstOccurrence() throws {
        // Havana: 2026-11-01 01:00 CDT falls back to 00:00 CST, so local midnight happens at 04:00Z and 05:00Z.
        #expect(try start(2026, 11, 1, "America/Havana") == "2026-11-01T04:00:00Z")
        let october = try #require(BillingPeriod(year: 2026, month: 10, timezone: "America/Havana"))
        #expect(october.to.description == "2026-11-01T03:59:59.999999Z")
        #expect(BillingPeriod.containing(try instant("2026-11-01T04:30:00Z"), timezone: "America/Havana")?.label == "2026-11")
        // Santiago: 2026-04-05 00:00 -03 falls back to 2026-04-04 23:00 -04; midnight then comes once, at 04:00Z.
        #expect(try start(2026, 4, 5, "America/Santiago") == "2026-04-05T04:00:00Z")
    }

    private func start(_ year: Int, _ month: Int, _ day: Int, _ timezone: String) throws -> String {
        let zone = try #require(TimeZone(identifier: timezone))
        return BillingPeriod.startOfLocalDay(year: year, month: month, day: day, in: zone).description
    }
}

private func instant(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> UTCInstant {
    try #require(TimestampParser.parseRFC3339(text[...]), sourceLocation: sourceLocation)
}
