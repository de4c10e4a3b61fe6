import Testing
import TallyCore

/// Only IANA names of the tz database are billing timezones: an offset such as GMT+5 is read as
/// UTC+5 by Foundation and as UTC−5 by PostgreSQL, so an event near a month's edge would land in
/// different months.
@Suite struct TimezoneNameTests {
    @Test(arguments: ["America/New_York", "Asia/Kolkata", "Etc/GMT+5", "Etc/GMT-14", "UTC", "GMT", "US/Eastern", "Europe/Kyiv",
                      "America/Argentina/Buenos_Aires", "GMT+0"])
    func ianaNamesAreAccepted(name: String) {
        #expect(TimezoneName.problem(with: name) == nil)
    }

    @Test(arguments: ["GMT+5", "UTC+5", "GMT+0530", "UTC-03:00", "UT+1", "GMT-12"])
    func offsetsAreRefusedWithAnIANAExample(name: String) throws {
        let problem = try #require(TimezoneName.problem(with: name))
        #expect(problem.contains("offset"), "\(problem)")
        #expect(problem.contains("Etc/GMT-5"))
    }

    @Test(arguments: ["posix/America/New_York", "right/UTC", "localtime", "posixrules", "Factory"])
    func specialEntriesOfTheDatabaseAreRefused(name: String) {
        #expect(TimezoneName.problem(with: name) != nil)
    }

    @Test(arguments: ["", "+05:30", "America//New_York", "/UTC", "America/New York", "Not/AZone", "utc", "../etc/passwd", "Z"])
    func anythingElseIsRefused(name: String) {
        #expect(TimezoneName.problem(with: name) != nil, "\(name)")
    }
}
