import Foundation
import Testing
import TallyCore
import TallyStages

/// docs/BILLING.md (weekly plans and anniversary billing) through catalog apply, ingest, close and
/// reprocess: each dated period billed on its own day's invoice, amounts computed by hand.
@Suite struct DatedPeriodCloseTests {
    /// `CloseCatalog.plan` with another interval.
    private func plan(_ code: String, amountCents: Int, interval: String) -> String {
        CloseCatalog.plan(code, amountCents: amountCents, charges: [CloseCatalog.perFilterCharge])
            .replacingOccurrences(of: #""interval": "monthly""#, with: #""interval": "\#(interval)""#)
    }

    /// `CloseCatalog.subscription` billed on its anniversary.
    private func anniversary(_ externalId: String, customer: String, plan: String, at start: String) -> String {
        CloseCatalog.subscription(externalId, customer: customer, plan: plan, at: start)
            .replacingOccurrences(of: #""subscription_at""#, with: #""billing_time": "anniversary", "subscription_at""#)
    }

    private func instant(_ text: String) throws -> UTCInstant {
        try #require(TimestampParser.parseRFC3339(Substring(text)))
    }

    private func document(_ db: TestDatabase, _ invoice: InvoiceRow) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: db.invoicePath(invoice.period, invoice.number)))) as? [String: Any])
    }

    @Test func anAnniversaryOnJanuary31stIsBilledOnTheLastDayOfFebruaryThenMonthly() throws {
        let db = try TestDatabase()
        try db.applyCatalog(CloseCatalog.document(
            plans: [plan("monthly", amountCents: 2_800, interval: "monthly")],
            customers: [CloseCatalog.customer("cust")],
            subscriptions: [anniversary("sub", customer: "cust", plan: "monthly", at: "2026-01-31T10:00:00Z")]))
        try db.ingestAccepted([
            tokenEvent("a", subscription: "sub", at: "2026-02-27T23:59:59Z", tokens: 1_000_000),
            tokenEvent("b", subscription: "sub", at: "2026-02-28T00:00:00Z", tokens: 2_500_000),
            tokenEvent("c", subscription: "sub", at: "2026-03-30T12:00:00Z", tokens: 500_000, type: "output"),
        ])
        let summary = try db.close(.endedBefore(try instant("2026-04-01T00:00:00Z")), now: try instant("2026-04-02T00:00:00Z"))
        #expect(summary.issued.map(\.period) == ["2026-02-28", "2026-03-31"])
        // The calendar months bill nothing of it.
        #expect(try db.invoices().map(\.period) == ["2026-02-28", "2026-03-31"])

        // January 31st–February 27th: 28 days, the whole fee 2800 (an anniversary period starts with
        // the subscription); 1,000,000 small-input tokens → 1 package × 1.00 = 100.
        let february = try db.invoice("cust", "2026-02-28")
        #expect(february.issuingDate == "2026-02-28")
        // It bills from the subscription's start, 10:00 on the 31st.
        #expect(february.periodFromMicros == micros("2026-01-31T10:00:00Z"))
        #expect(february.periodToMicros == micros("2026-02-28T00:00:00Z") - 1)
        #expect(try db.fees(of: february).map(\.amountCents) == [100, 2_800])
        // February 28th–March 30th: 2,500,000 small-input → 3 × 1.00; 500,000 small-output → 1 × 2.00.
        let march = try db.invoice("cust", "2026-03-31")
        #expect(try db.fees(of: march).map(\.amountCents) == [300, 200, 2_800])
        #expect(try db.fees(of: march).first?.units == 2_500_000)
        #expect(march.periodToMicros == micros("2026-03-31T00:00:00Z") - 1)

        // The document carries the subscription's billing time and the period it bills.
        let json = try document(db, march)
        #expect(json["issuing_date"] as? String == "2026-03-31")
        let subscription = try #require((json["subscriptions"] as? [[String: Any]])?.first)
        #expect(subscription["billing_time"] as? String == "anniversary")
        let billed = try #require((json["billing_periods"] as? [[String: Any]])?.first)
        #expect(billed["external_subscription_id"] as? String == "sub")
        #expect(billed["subscription_from_datetime"] as? String == "2026-02-28T00:00:00Z")
        #expect(billed["charges_to_datetime"] as? String == "2026-03-30T23:59:59Z")
        #expect(billed["invoicing_reason"] as? String == "subscription_periodic")

        // Closing again issues nothing; --period YYYY-MM does not touch dated periods.
        let again = try db.close(.endedBefore(try instant("2026-04-01T00:00:00Z")), now: try instant("2026-04-02T00:00:00Z"))
        #expect(again.issued.isEmpty)
        #expect(again.alreadyClosed.sorted() == ["cust 2026-02-28", "cust 2026-03-31"])
        #expect(try db.close(.month(year: 2026, month: 3), now: try instant("2026-04-02T00:00:00Z")).issued.isEmpty)
    }

    @Test func anAnniversaryHalfYearBillsItsChargesEveryAnniversaryMonth() throws {
        let db = try TestDatabase()
        try db.applyCatalog(CloseCatalog.document(
            plans: [plan("half", amountCents: 18_100, interval: "semiannual")
                .replacingOccurrences(of: #""interval": "semiannual""#, with: #""interval": "semiannual", "bill_charges_monthly": true"#)],
            customers: [CloseCatalog.customer("cust")],
            subscriptions: [anniversary("sub", customer: "cust", plan: "half", at: "2026-08-31T00:00:00Z")]))
        try db.ingestAccepted([
            tokenEvent("sep", subscription: "sub", at: "2026-09-10T00:00:00Z", tokens: 1_000_000),
            tokenEvent("feb", subscription: "sub", at: "2027-02-01T00:00:00Z", tokens: 2_000_000),
        ])
        _ = try db.close(.endedBefore(try instant("2027-03-01T00:00:00Z")), now: try instant("2027-03-15T00:00:00Z"))
        // Months from the 31st (30th, 29th… where shorter), the half-year August 31st–February 27th.
        #expect(try db.invoices().map(\.period) == ["2026-09-30", "2026-10-31", "2026-11-30", "2026-12-31", "2027-01-31", "2027-02-28"])
        #expect(try db.fees(of: try db.invoice("cust", "2026-09-30")).map(\.amountCents) == [100])
        #expect(try db.fees(of: try db.invoice("cust", "2026-10-31")).map(\.amountCents) == [])
        // The fee once, with the half-year's last month: whole (181 days from the anniversary).
        let last = try db.invoice("cust", "2027-02-28")
        let fees = try db.fees(of: last)
        #expect(fees.map(\.amountCents) == [200, 18_100])
        #expect(fees.map(\.fromMicros) == [micros("2027-01-31T00:00:00Z"), micros("2026-08-31T00:00:00Z")])
        let billed = try #require((try document(db, last)["billing_periods"] as? [[String: Any]])?.first)
        #expect(billed["subscription_from_datetime"] as? String == "2026-08-31T00:00:00Z")
        #expect(billed["charges_from_datetime"] as? String == "2027-01-31T00:00:00Z")
    }

    @Test func aCalendarWeekAcrossTheEndOfDaylightSavingCountsItsLocalDays() throws {
        let db = try TestDatabase()
        try db.applyCatalog(CloseCatalog.document(
            plans: [plan("weekly", amountCents: 700, interval: "weekly")],
            customers: [CloseCatalog.customer("ny", timezone: "America/New_York")],
            // Wednesday October 28th, 11:00 local time.
            subscriptions: [CloseCatalog.subscription("sub", customer: "ny", plan: "weekly", at: "2026-10-28T15:00:00Z")]))
        try db.ingestAccepted([
            // Sunday November 1st, 23:30 EST: the first week.
            tokenEvent("sunday", subscription: "sub", at: "2026-11-02T04:30:00Z", tokens: 1_000_000),
            // Monday November 2nd, 00:00 EST: the second week.
            tokenEvent("monday", subscription: "sub", at: "2026-11-02T05:00:00Z", tokens: 3_000_000, model: "large"),
        ])
        let summary = try db.close(.endedBefore(try instant("2026-11-10T12:00:00Z")), now: closeNow)
        #expect(summary.issued.map(\.period) == ["2026-11-02", "2026-11-09"])

        // Monday October 26th–Sunday November 1st (04:00Z to 05:00Z: 169 hours), billed from the
        // Wednesday: 5 of 7 days × 700 = 500; 1,000,000 small-input tokens → 100.
        let first = try db.invoice("ny", "2026-11-02")
        #expect(first.periodFromMicros == micros("2026-10-28T15:00:00Z"))
        #expect(first.periodToMicros == micros("2026-11-02T05:00:00Z") - 1)
        let firstFees = try db.fees(of: first)
        #expect(firstFees.map(\.amountCents) == [100, 500])
        #expect(firstFees.map(\.units) == [1_000_000, 1])
        // November 2nd–8th, whole: 700; 3,000,000 large-input → 3 × 3.00 = 900.
        let second = try db.invoice("ny", "2026-11-09")
        #expect(second.periodFromMicros == micros("2026-11-02T05:00:00Z"))
        #expect(try db.fees(of: second).map(\.amountCents) == [900, 700])
    }

    @Test func aTerminatedWeekIsBilledOnTheDayItEnds() throws {
        let db = try TestDatabase()
        let catalog = CloseCatalog.document(
            plans: [plan("weekly", amountCents: 700, interval: "weekly")],
            customers: [CloseCatalog.customer("cust")],
            // Thursday October 1st: weeks run Thursday to Wednesday.
            subscriptions: [anniversary("sub", customer: "cust", plan: "weekly", at: "2026-10-01T00:00:00Z")])
        try db.applyCatalog(catalog)
        try db.ingestAccepted([
            tokenEvent("a", subscription: "sub", at: "2026-10-03T00:00:00Z", tokens: 1_000_000),
            tokenEvent("b", subscription: "sub", at: "2026-10-09T00:00:00Z", tokens: 2_000_000),
        ])
        _ = try db.close(.endedBefore(try instant("2026-10-09T00:00:00Z")), now: try instant("2026-10-09T01:00:00Z"))
        #expect(try db.invoices().map(\.period) == ["2026-10-08"])

        func terminate(at text: String) throws -> SubscriptionCommandReport {
            try SubscriptionTermination.terminate(externalId: "sub", at: try instant(text), database: db.database)
        }
        // The first week is invoiced: ending inside it is refused; an event after the end too.
        #expect(throws: SubscriptionCommandError.self) { try terminate(at: "2026-10-05T00:00:00Z") }
        #expect(throws: SubscriptionCommandError.self) { try terminate(at: "2026-10-08T12:00:00Z") }
        // Saturday October 10th, noon.
        let report = try terminate(at: "2026-10-10T12:00:00Z")
        #expect(report.changed && report.period == "2026-10-10")
        // Changing plan at a date is not supported on dated periods.
        #expect(throws: SubscriptionCommandError.self) {
            try SubscriptionTermination.changePlan(externalId: "sub", to: "weekly", at: try instant("2026-10-11T00:00:00Z"),
                                                   database: db.database)
        }

        let summary = try db.close(.endedBefore(try instant("2026-10-11T00:00:00Z")), now: try instant("2026-10-11T01:00:00Z"))
        #expect(summary.issued.map(\.period) == ["2026-10-10"])
        // October 8th–10th of the week of the 8th: 3 of 7 days × 700 = 300; 2,000,000 → 200.
        let last = try db.invoice("cust", "2026-10-10")
        #expect(last.issuingDate == "2026-10-10")
        #expect(try db.fees(of: last).map(\.amountCents) == [200, 300])
        #expect(last.periodToMicros == micros("2026-10-10T12:00:00Z"))
        let billed = try #require((try document(db, last)["billing_periods"] as? [[String: Any]])?.first)
        #expect(billed["invoicing_reason"] as? String == "subscription_terminating")
        // Nothing follows the end.
        #expect(try db.close(.endedBefore(try instant("2026-11-01T00:00:00Z")), now: closeNow).issued.isEmpty)
    }

    @Test func aLateEventReopensItsWeekForReprocessing() throws {
        let db = try TestDatabase()
        try db.applyCatalog(CloseCatalog.document(
            plans: [plan("weekly", amountCents: 700, interval: "weekly"), plan("monthly", amountCents: 3_100, interval: "monthly")],
            customers: [CloseCatalog.customer("cust")],
            subscriptions: [
                anniversary("weekly-sub", customer: "cust", plan: "weekly", at: "2026-10-01T00:00:00Z"),
                CloseCatalog.subscription("monthly-sub", customer: "cust", plan: "monthly", at: "2026-10-01T00:00:00Z"),
            ]))
        try db.ingestAccepted([
            tokenEvent("a", subscription: "weekly-sub", at: "2026-10-02T00:00:00Z", tokens: 1_000_000),
            tokenEvent("m", subscription: "monthly-sub", at: "2026-10-02T00:00:00Z", tokens: 1_000_000),
        ])
        let asOf = try instant("2026-11-01T00:00:00Z")
        _ = try db.close(.endedBefore(asOf), now: try instant("2026-11-02T00:00:00Z"))
        // Four whole weeks (October 1st–28th) and the calendar month, each on its own invoice; the
        // week of October 29th has not ended.
        #expect(try db.invoices().map(\.period).sorted() == ["2026-10", "2026-10-08", "2026-10-15", "2026-10-22", "2026-10-29"])
        #expect(try db.fees(of: try db.invoice("cust", "2026-10")).map(\.amountCents) == [100, 3_100])
        #expect(try db.fees(of: try db.invoice("cust", "2026-10-08")).map(\.amountCents) == [100, 700])

        // A late event of the first week is reported against that week's invoice only.
        let late = try db.write("late.ndjson", tokenEvent("late", subscription: "weekly-sub", at: "2026-10-07T00:00:00Z",
                                                          tokens: 2_000_000, type: "output") + "\n")
        let ingested = try db.ingest(late)
        #expect(ingested.latePeriods == [LatePeriod(customer: "cust", period: "2026-10-08", events: 1)])

        let stage = ReprocessStage(database: db.database, outDirectory: db.outDirectory)
        let dry = try stage.reprocess(period: "2026-10-08", dryRun: true)
        #expect(dry.invoices.map(\.outcome) == [.wouldReissue])
        #expect(try db.invoices().filter { $0.status == "voided" }.isEmpty)
        let done = try stage.reprocess(period: "2026-10-08")
        #expect(done.invoices.map(\.outcome) == [.reissued])
        // 100 small-input + 2 × 2.00 small-output + 700.
        let reissued = try db.invoices().filter { $0.period == "2026-10-08" && $0.status == "finalized" }
        #expect(try db.fees(of: try #require(reissued.first)).map(\.amountCents) == [100, 400, 700])
        // Another week and the month stay as they were.
        #expect(try stage.reprocess(period: "2026-10-15").invoices.map(\.outcome) == [.unchanged])
        #expect(try stage.reprocess(year: 2026, month: 10).invoices.map(\.outcome) == [.unchanged])
        #expect(throws: ReprocessError.self) { try stage.reprocess(period: "2026-10-09") }
    }

    @Test func theCatalogRefusesWhatDatedPeriodsDoNotSupportAndChangesThatMoveThem() throws {
        let db = try TestDatabase()
        let plans = [plan("weekly", amountCents: 700, interval: "weekly"), plan("monthly", amountCents: 3_100, interval: "monthly"),
                     CloseCatalog.plan("ahead", amountCents: 3_100, charges: [])
                         .replacingOccurrences(of: #""pay_in_advance": false"#, with: #""pay_in_advance": true"#)]
        let customers = [CloseCatalog.customer("cust")]
        let start = "2026-10-01T00:00:00Z"
        func apply(_ subscription: String) throws -> [String] {
            do {
                try db.applyCatalog(CloseCatalog.document(plans: plans, customers: customers, subscriptions: [subscription]))
                return []
            } catch let error as CatalogErrors {
                return error.errors.map(\.path)
            }
        }
        #expect(try apply(anniversary("ahead-sub", customer: "cust", plan: "ahead", at: start)) == ["subscriptions[0].plan_code"])
        #expect(try apply(anniversary("sub", customer: "cust", plan: "monthly", at: start)) == [])
        // billing_time is fixed once the subscription exists; so is a weekly or anniversary interval.
        #expect(try apply(CloseCatalog.subscription("sub", customer: "cust", plan: "monthly", at: start)) == ["subscriptions[0].billing_time"])
        #expect(try apply(anniversary("sub", customer: "cust", plan: "weekly", at: start)) == ["subscriptions[0].plan_code"])
        #expect(try apply(anniversary("sub", customer: "cust", plan: "monthly", at: start)) == [])
    }
}
