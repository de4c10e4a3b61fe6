import Foundation
import Testing
import TallyCore
import TallyStages

/// docs/BILLING.md, billing periods through the whole pipeline: an event belongs to the calendar month
/// of the customer's wall clock, across daylight saving changes and :30 offsets, whether it is read from
/// an hourly rollup or from the raw events of an hour the period boundary cuts; and which periods a
/// close picks.
@Suite struct ClosePeriodBoundaryTests {
    /// Token counts are distinct powers of two (in millions), so the units of a fee say exactly which
    /// events it holds; small-input costs 1.00 USD per million, so its cents are 100 × the millions.
    static func singleCustomer(timezone: String, subscriptionAt: String) -> String {
        CloseCatalog.document(
            plans: [CloseCatalog.plan("tokens", charges: [CloseCatalog.perFilterCharge])],
            customers: [CloseCatalog.customer("cust", timezone: timezone)],
            subscriptions: [CloseCatalog.subscription("sub", customer: "cust", plan: "tokens", at: subscriptionAt)])
    }

    @Test func newYorkMonthsFollowTheLocalCalendarAcrossTheEndOfDaylightSaving() throws {
        let db = try TestDatabase()
        try db.applyCatalog(Self.singleCustomer(timezone: "America/New_York", subscriptionAt: "2026-08-01T04:00:00Z"))
        try db.ingestAccepted([
            tokenEvent("sep-last", subscription: "sub", at: "2026-10-01T03:59:59Z", tokens: 1_000_000),   // Sep 30 23:59:59 EDT
            tokenEvent("oct-first", subscription: "sub", at: "2026-10-01T04:00:00Z", tokens: 2_000_000),  // Oct 1 00:00:00 EDT
            tokenEvent("oct-last", subscription: "sub", at: "2026-11-01T03:59:59Z", tokens: 4_000_000),   // Oct 31 23:59:59 EDT
            tokenEvent("nov-first", subscription: "sub", at: "2026-11-01T04:00:00Z", tokens: 8_000_000),  // Nov 1 00:00:00 EDT
            tokenEvent("nov-est", subscription: "sub", at: "2026-11-01T06:30:00Z", tokens: 16_000_000),   // Nov 1 01:30 EST (DST ended 06:00Z)
            tokenEvent("nov-last", subscription: "sub", at: "2026-12-01T04:59:59Z", tokens: 32_000_000),  // Nov 30 23:59:59 EST
            tokenEvent("dec-first", subscription: "sub", at: "2026-12-01T05:00:00Z", tokens: 64_000_000), // Dec 1 00:00:00 EST
        ])

        let october = try db.close(.month(year: 2026, month: 10))
        try #require(october.issued.count == 1)
        let octoberInvoice = try db.invoice("cust", "2026-10")
        // October EDT: 2026-10-01T04:00:00Z ... 2026-11-01T03:59:59.999999Z.
        #expect(octoberInvoice.periodFromMicros == micros("2026-10-01T04:00:00Z"))
        #expect(octoberInvoice.periodToMicros == lastMicrosecond(of: "2026-11-01T03:59:59Z"))
        #expect(octoberInvoice.issuingDate == "2026-11-01")
        let octoberFees = try db.fees(of: octoberInvoice)
        try #require(octoberFees.count == 1)
        // oct-first + oct-last = 2M + 4M = 6,000,000 tokens, 2 events; ⌈6,000,000 ÷ 1,000,000⌉ × 1.00 = 600 cents.
        #expect(octoberFees[0].units == 6_000_000)
        #expect(octoberFees[0].eventsCount == 2)
        #expect(octoberFees[0].amountCents == Int64(packages(6_000_000, size: 1_000_000) * 100))
        #expect(octoberFees[0].amountCents == 600)
        #expect(octoberInvoice.feesAmountCents == 600)

        let november = try db.close(.month(year: 2026, month: 11))
        try #require(november.issued.count == 1)
        let novemberInvoice = try db.invoice("cust", "2026-11")
        // November: EDT midnight at its start, EST midnight at its end (one hour longer than 30 × 24 h).
        #expect(novemberInvoice.periodFromMicros == micros("2026-11-01T04:00:00Z"))
        #expect(novemberInvoice.periodToMicros == lastMicrosecond(of: "2026-12-01T04:59:59Z"))
        #expect(novemberInvoice.periodToMicros - novemberInvoice.periodFromMicros + 1 == (30 * 24 + 1) * 3_600_000_000)
        #expect(novemberInvoice.issuingDate == "2026-12-01")
        let novemberFees = try db.fees(of: novemberInvoice)
        try #require(novemberFees.count == 1)
        // nov-first + nov-est + nov-last = 8M + 16M + 32M = 56,000,000 tokens → 56 packages × 1.00 = 5600 cents.
        #expect(novemberFees[0].units == 56_000_000)
        #expect(novemberFees[0].eventsCount == 3)
        #expect(novemberFees[0].amountCents == 5600)
        #expect(novemberFees[0].toMicros == lastMicrosecond(of: "2026-12-01T04:59:59Z"))

        let document = try db.invoiceDocument("2026-11", novemberInvoice.number)
        try #require(document.fees.count == 1)
        #expect(document.fees[0].from_date == "2026-11-01T04:00:00Z")
        #expect(document.fees[0].to_date == "2026-12-01T04:59:59Z")
        #expect(document.fees[0].units == "56000000")
        #expect(document.fees[0].amount_cents == 5600)
    }

    @Test func kolkataHalfHoursOnBothSidesOfTheMonthBoundaryAreAttributedByWallClock() throws {
        let db = try TestDatabase()
        try db.applyCatalog(Self.singleCustomer(timezone: "Asia/Kolkata", subscriptionAt: "2026-08-01T00:00:00Z"))
        // Asia/Kolkata is UTC+05:30 all year: local midnight of the 1st is 18:30Z the day before, in the
        // middle of a UTC hour and of a UTC day; the rollup months are Kolkata months.
        try db.ingestAccepted([
            tokenEvent("sep-last", subscription: "sub", at: "2026-09-30T18:29:59Z", tokens: 1_000_000),    // Sep 30 23:59:59 IST
            tokenEvent("oct-first", subscription: "sub", at: "2026-09-30T18:30:00Z", tokens: 2_000_000),   // Oct 1 00:00:00 IST
            tokenEvent("oct-whole", subscription: "sub", at: "2026-10-31T17:59:59Z", tokens: 4_000_000),   // an uncut hour
            tokenEvent("oct-cut-a", subscription: "sub", at: "2026-10-31T18:00:00Z", tokens: 8_000_000),   // Oct 31 23:30 IST
            tokenEvent("oct-last", subscription: "sub", at: "2026-10-31T18:29:59Z", tokens: 16_000_000),   // Oct 31 23:59:59 IST
            tokenEvent("nov-first", subscription: "sub", at: "2026-10-31T18:30:00Z", tokens: 32_000_000),  // Nov 1 00:00:00 IST
            tokenEvent("nov-cut-b", subscription: "sub", at: "2026-10-31T18:59:59Z", tokens: 64_000_000),  // Nov 1 00:29:59 IST
            tokenEvent("nov-whole", subscription: "sub", at: "2026-10-31T19:00:00Z", tokens: 128_000_000), // an uncut hour
            tokenEvent("nov-last", subscription: "sub", at: "2026-11-30T18:29:59Z", tokens: 256_000_000),  // Nov 30 23:59:59 IST
            tokenEvent("dec-first", subscription: "sub", at: "2026-11-30T18:30:00Z", tokens: 512_000_000), // Dec 1 00:00:00 IST
        ])
        // October in Kolkata holds 2M + 4M + 8M + 16M (from 18:30Z on Sep 30 to 18:29:59Z on Oct 31);
        // November 32M + 64M + 128M + 256M; the 1M of Sep 30 and the 512M of Dec 1 are outside both.
        #expect(try db.rows("""
            SELECT month::text, units::text, events_count::text FROM event_rollups
            WHERE month IN ('2026-10-01', '2026-11-01') AND filter_values = '{"model": "small", "type": "input"}'
            ORDER BY month
            """) == [["2026-10-01", "30000000", "4"], ["2026-11-01", "480000000", "4"]])

        _ = try db.close(.month(year: 2026, month: 10))
        _ = try db.close(.month(year: 2026, month: 11))

        let october = try db.invoice("cust", "2026-10")
        #expect(october.periodFromMicros == micros("2026-09-30T18:30:00Z"))
        #expect(october.periodToMicros == lastMicrosecond(of: "2026-10-31T18:29:59Z"))
        let octoberFees = try db.fees(of: october)
        try #require(octoberFees.count == 1)
        // oct-first + oct-whole + oct-cut-a + oct-last = 2M + 4M + 8M + 16M = 30M tokens, 4 events → 3000 cents.
        #expect(octoberFees[0].units == 30_000_000)
        #expect(octoberFees[0].eventsCount == 4)
        #expect(octoberFees[0].amountCents == 30 * 100)

        let november = try db.invoice("cust", "2026-11")
        #expect(november.periodFromMicros == micros("2026-10-31T18:30:00Z"))
        #expect(november.periodToMicros == lastMicrosecond(of: "2026-11-30T18:29:59Z"))
        let novemberFees = try db.fees(of: november)
        try #require(novemberFees.count == 1)
        // nov-first + nov-cut-b + nov-whole + nov-last = 32M + 64M + 128M + 256M = 480M tokens, 4 events → 48000 cents.
        #expect(novemberFees[0].units == 480_000_000)
        #expect(novemberFees[0].eventsCount == 4)
        #expect(novemberFees[0].amountCents == 480 * 100)
        #expect(november.feesAmountCents == 48_000)
    }

    /// A subscription from 2026-09-15 (UTC customer) with a 10.00 USD plan fee and one small-input event
    /// of 1,000,000 tokens in each of September to December.
    static func monthlyCustomer() throws -> TestDatabase {
        let db = try TestDatabase()
        try db.applyCatalog(CloseCatalog.document(
            plans: [CloseCatalog.plan("tokens", amountCents: 1000, charges: [CloseCatalog.perFilterCharge])],
            customers: [CloseCatalog.customer("cust")],
            subscriptions: [CloseCatalog.subscription("sub", customer: "cust", plan: "tokens", at: "2026-09-15T00:00:00Z")]))
        try db.ingestAccepted([
            tokenEvent("sep", subscription: "sub", at: "2026-09-20T00:00:00Z", tokens: 1_000_000),
            tokenEvent("oct", subscription: "sub", at: "2026-10-20T00:00:00Z", tokens: 1_000_000),
            tokenEvent("nov", subscription: "sub", at: "2026-11-20T00:00:00Z", tokens: 1_000_000),
            tokenEvent("dec", subscription: "sub", at: "2026-12-10T00:00:00Z", tokens: 1_000_000),
        ])
        return db
    }

    @Test func endedBeforeClosesEveryEndedPeriodSinceTheStartAndNoOther() throws {
        let db = try Self.monthlyCustomer()
        // November ends 2026-11-30T23:59:59.999999Z: an as-of one second before the end leaves it open.
        let first = try db.close(.endedBefore(UTCInstant(year: 2026, month: 11, day: 30, hour: 23, minute: 59, second: 59)!))
        #expect(first.issued.map(\.period) == ["2026-09", "2026-10"])
        #expect(try db.invoices().map(\.period) == ["2026-09", "2026-10"])

        let second = try db.close(.endedBefore(UTCInstant(year: 2026, month: 12, day: 1)!))
        #expect(second.issued.map(\.period) == ["2026-11"])
        #expect(second.alreadyClosed == ["cust 2026-09", "cust 2026-10"])
        // Nothing before the start (August) and nothing not ended (December, still open at `now`).
        #expect(try db.invoices().map(\.period) == ["2026-09", "2026-10", "2026-11"])

        // An as-of in the future closes nothing `now` has not seen end.
        let future = try db.close(.endedBefore(UTCInstant(year: 2027, month: 6, day: 1)!))
        #expect(future.issued.isEmpty)
        #expect(try db.invoices().map(\.period) == ["2026-09", "2026-10", "2026-11"])

        // September: prorated from the 15th, (30 − 15 + 1) = 16 days × 1000 ÷ 30 = 533.33… → 533, plus 100.
        #expect(try db.invoice("cust", "2026-09").feesAmountCents == 533 + 100)
        #expect(try db.invoice("cust", "2026-10").feesAmountCents == 1000 + 100)
        #expect(try db.invoice("cust", "2026-11").feesAmountCents == 1000 + 100)
    }

    @Test func aMonthThatHasNotEndedIsReportedAndIssuesNothing() throws {
        let db = try Self.monthlyCustomer()
        let december = try db.close(.month(year: 2026, month: 12))
        #expect(december.issued.isEmpty)
        #expect(december.notEnded.count == 1)
        #expect(december.notEnded.first?.hasPrefix("cust 2026-12") == true)
        #expect(try db.count("invoices") == 0)
        #expect(try db.count("fees") == 0)
        #expect(!FileManager.default.fileExists(atPath: "\(db.outDirectory)/invoices/2026-12"))

        // November's last microsecond is 2026-11-30T23:59:59.999999Z: at that instant it has not ended,
        // one microsecond later it has.
        let lastMicro = UTCInstant(microsecondsSinceEpoch: lastMicrosecond(of: "2026-11-30T23:59:59Z"))
        let early = try db.close(.month(year: 2026, month: 11), now: lastMicro)
        #expect(early.issued.isEmpty)
        #expect(early.notEnded.count == 1)
        #expect(try db.count("invoices") == 0)
        let onTime = try db.close(.month(year: 2026, month: 11),
                                  now: UTCInstant(microsecondsSinceEpoch: lastMicro.microsecondsSinceEpoch + 1))
        #expect(onTime.notEnded.isEmpty)
        #expect(onTime.issued.map(\.period) == ["2026-11"])
    }

    @Test func aCustomerWithoutATimezoneIsBilledInTheOrganizationsTimezone() throws {
        let db = try TestDatabase()
        try db.applyCatalog(CloseCatalog.document(
            plans: [CloseCatalog.plan("tokens", charges: [CloseCatalog.perFilterCharge])],
            customers: [CloseCatalog.customer("cust")],
            subscriptions: [CloseCatalog.subscription("sub", customer: "cust", plan: "tokens", at: "2026-08-01T00:00:00Z")],
            organizationTimezone: "America/New_York"))
        try db.ingestAccepted([
            tokenEvent("sep", subscription: "sub", at: "2026-10-01T03:59:59Z", tokens: 1_000_000), // Sep 30 EDT
            tokenEvent("oct", subscription: "sub", at: "2026-10-01T04:00:00Z", tokens: 2_000_000), // Oct 1 EDT
        ])
        _ = try db.close(.month(year: 2026, month: 10))
        let october = try db.invoice("cust", "2026-10")
        #expect(october.periodFromMicros == micros("2026-10-01T04:00:00Z"))
        #expect(october.periodToMicros == lastMicrosecond(of: "2026-11-01T03:59:59Z"))
        // Only "oct": 2 packages × 1.00 = 200 cents.
        #expect(try db.fees(of: october).map(\.units) == [2_000_000])
        #expect(october.feesAmountCents == 200)
    }

    @Test func aMonthEndsAtEachCustomersOwnMidnight() throws {
        let db = try TestDatabase()
        try db.applyCatalog(CloseCatalog.document(
            plans: [CloseCatalog.plan("tokens", amountCents: 1000, charges: [])],
            customers: [CloseCatalog.customer("utc"), CloseCatalog.customer("ny", timezone: "America/New_York")],
            subscriptions: [
                CloseCatalog.subscription("utc-sub", customer: "utc", plan: "tokens", at: "2026-10-01T00:00:00Z"),
                CloseCatalog.subscription("ny-sub", customer: "ny", plan: "tokens", at: "2026-10-01T04:00:00Z"),
            ]))
        // At 02:00Z on December 1st November is over in UTC, but it is still 21:00 on November 30 in New York.
        let now = UTCInstant(year: 2026, month: 12, day: 1, hour: 2)!
        let early = try db.close(.month(year: 2026, month: 11), now: now)
        #expect(early.issued.map(\.customer) == ["utc"])
        #expect(early.notEnded.count == 1)
        #expect(early.notEnded.first?.hasPrefix("ny 2026-11") == true)
        let sweep = try db.close(.endedBefore(now), now: now)
        #expect(sweep.issued.map { "\($0.customer) \($0.period)" } == ["utc 2026-10", "ny 2026-10"])
        #expect(sweep.alreadyClosed == ["utc 2026-11"])

        // Five hours later (05:00Z = 00:00 EST) New York's November has ended too.
        let later = try db.close(.month(year: 2026, month: 11), now: UTCInstant(year: 2026, month: 12, day: 1, hour: 5)!)
        #expect(later.issued.map(\.customer) == ["ny"])
        #expect(later.alreadyClosed == ["utc 2026-11"])
        #expect(later.notEnded.isEmpty)
    }
}
