import Testing
import TallyCore

/// Month labels as invoice folders, `--period` and the usage rollups write them.
@Suite struct CalendarMonthTests {
    @Test(arguments: [
        (2026, 10, "2026-10"), (2026, 1, "2026-01"), (999, 1, "0999-01"), (5, 12, "0005-12"), (12_345, 3, "12345-03"),
    ])
    func theLabelPadsTheYearToFourDigitsAndTheMonthToTwo(year: Int, month: Int, label: String) {
        let calendarMonth = CalendarMonth(year: year, month: month)
        #expect(calendarMonth.label == label)
        #expect(calendarMonth.firstDay == label + "-01")
    }

    @Test func monthsAreOrderedByYearThenMonth() {
        #expect(CalendarMonth(year: 2026, month: 12) < CalendarMonth(year: 2027, month: 1))
        #expect(CalendarMonth(year: 2026, month: 2) < CalendarMonth(year: 2026, month: 10))
        #expect(!(CalendarMonth(year: 2026, month: 10) < CalendarMonth(year: 2026, month: 10)))
    }

    @Test func aBillingPeriodIsItsCalendarMonthWhateverItsTimezone() throws {
        let newYork = try HandBuilt.period(2026, 3, "America/New_York")
        let kolkata = try HandBuilt.period(2026, 3, "Asia/Kolkata")
        #expect(newYork.calendarMonth == CalendarMonth(year: 2026, month: 3))
        #expect(newYork.calendarMonth == kolkata.calendarMonth)
        #expect(newYork.label == "2026-03")
        #expect(try HandBuilt.period(999, 1).label == "0999-01")
    }
}
