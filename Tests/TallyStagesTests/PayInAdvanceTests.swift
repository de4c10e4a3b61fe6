import Foundation
import Testing
import TallyCore
import TallyStages

/// docs/BILLING.md, pay-in-advance plan fees, end to end: a start invoice when the subscription
/// starts, then each period invoice bills its month's charges and the next month's fee.
///
/// Plan `ahead`: 3100 USD cents a month, paid in advance, with `CloseCatalog.perFilterCharge`
/// (1.00 USD per started million small-input tokens). UTC; October has 31 days, November 30.
@Suite struct PayInAdvanceTests {
    static let planCents: Int64 = 3100

    /// `CloseCatalog.plan` paid in advance, with an optional `trial_period` (days).
    static func plan(_ code: String = "ahead", payInAdvance: Bool = true, trialDays: Int? = nil) -> String {
        let trial = trialDays.map { #", "trial_period": \#($0)"# } ?? ""
        return CloseCatalog.plan(code, amountCents: Int(planCents), charges: [CloseCatalog.perFilterCharge])
            .replacingOccurrences(of: #""pay_in_advance": false"#, with: #""pay_in_advance": \#(payInAdvance)\#(trial)"#)
    }

    static func catalog(start: String, payInAdvance: Bool = true, trialDays: Int? = nil) -> String {
        CloseCatalog.document(
            plans: [plan(payInAdvance: payInAdvance, trialDays: trialDays)], customers: [CloseCatalog.customer("cust")],
            subscriptions: [CloseCatalog.subscription("sub", customer: "cust", plan: "ahead", at: start)])
    }

    static func at(_ year: Int, _ month: Int, _ day: Int) -> UTCInstant {
        UTCInstant(year: year, month: month, day: day)!
    }

    /// "fee type amount" of each line, for compact comparisons.
    static func lines(_ fees: [FeeRow]) -> [String] {
        fees.map { "\($0.feeType) \($0.amountCents)" }
    }

    /// The invoice file as plain JSON, for the fields `InvoiceDocument` does not decode.
    static func json(_ db: TestDatabase, _ period: String, _ number: String) throws -> [String: Any] {
        let data = try #require(FileManager.default.contents(atPath: db.invoicePath(period, number)))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    // MARK: The timeline

    @Test func aStartInvoiceThenEachPeriodBillsItsChargesAndTheNextFee() throws {
        let db = try TestDatabase()
        try db.applyCatalog(Self.catalog(start: "2026-10-15T00:00:00Z"))

        // Before the start: nothing to issue.
        let early = try db.close(.endedBefore(Self.at(2026, 10, 10)))
        #expect(early.issued.isEmpty)
        #expect(try db.invoices().isEmpty)

        // Just after the start: the start invoice, 15…31 October = 17 of 31 days × 3100 = 1700.
        let start = try db.close(.endedBefore(Self.at(2026, 10, 16)))
        #expect(start.issued.map(\.number) == ["TST-001-001"])
        #expect(start.issued.map(\.isStart) == [true])
        let startInvoice = try db.invoice("cust", "2026-10")
        #expect(startInvoice.issuingDate == "2026-10-15")
        #expect(startInvoice.feesAmountCents == 1700 && startInvoice.totalAmountCents == 1700)
        let startFees = try db.fees(of: startInvoice)
        #expect(Self.lines(startFees) == ["subscription 1700"])
        #expect(startFees[0].fromMicros == micros("2026-10-15T00:00:00Z"))
        #expect(startFees[0].toMicros == lastMicrosecond(of: "2026-10-31T23:59:59Z"))
        let startDocument = try Self.json(db, "2026-10", "TST-001-001")
        #expect(startDocument["issuing_date"] as? String == "2026-10-15")
        let startDocumentFees = try #require(startDocument["fees"] as? [[String: Any]])
        #expect(startDocumentFees.map { $0["pay_in_advance"] as? Bool } == [true])
        #expect((startDocument["subscriptions"] as? [[String: Any]])?.count == 1)

        // Closing again issues nothing.
        #expect(try db.close(.endedBefore(Self.at(2026, 10, 16))).issued.isEmpty)

        // October's usage is not late: October's period invoice is not issued yet.
        let octoberEvents = try db.ingest(try db.write("october.ndjson",
            tokenEvent("o1", subscription: "sub", at: "2026-10-20T00:00:00Z", tokens: 1_500_000) + "\n"))
        #expect(octoberEvents.late == 0)
        try db.ingestAccepted([tokenEvent("n1", subscription: "sub", at: "2026-11-05T00:00:00Z", tokens: 2_500_000)],
                              name: "november.ndjson")

        // October's invoice: its charges (1,500,000 small-input → 2 × 1.00 = 200) and November's fee in
        // advance (3100): 3300, dated 1 November. No fee for October, billed already.
        let october = try db.close(.endedBefore(Self.at(2026, 11, 2)))
        #expect(october.issued.map(\.number) == ["TST-001-002"])
        #expect(october.issued.map(\.isStart) == [false])
        let octoberInvoice = try #require(try db.invoices().first { $0.number == "TST-001-002" })
        #expect(octoberInvoice.period == "2026-10" && octoberInvoice.issuingDate == "2026-11-01")
        #expect(octoberInvoice.totalAmountCents == 200 + 3100)
        let octoberFees = try db.fees(of: octoberInvoice)
        #expect(Self.lines(octoberFees) == ["charge 200", "subscription 3100"])
        #expect(octoberFees[1].fromMicros == micros("2026-11-01T00:00:00Z"))
        #expect(octoberFees[1].toMicros == lastMicrosecond(of: "2026-11-30T23:59:59Z"))
        let octoberDocumentFees = try #require(try Self.json(db, "2026-10", "TST-001-002")["fees"] as? [[String: Any]])
        #expect(octoberDocumentFees.map { $0["pay_in_advance"] as? Bool } == [false, true])

        // November's invoice: 2,500,000 tokens → 3 × 1.00 = 300, and December's fee 3100.
        let november = try db.close(.endedBefore(Self.at(2026, 12, 2)))
        #expect(november.issued.map(\.number) == ["TST-001-003"])
        #expect(november.issued.map(\.totalAmountCents) == [300 + 3100])
        let novemberInvoice = try db.invoice("cust", "2026-11")
        #expect(Self.lines(try db.fees(of: novemberInvoice)) == ["charge 300", "subscription 3100"])

        // Closing everything again issues nothing, and the start invoice is not taken for a period invoice.
        let again = try db.close(.endedBefore(Self.at(2026, 12, 2)))
        #expect(again.issued.isEmpty)
        #expect(again.alreadyClosed == ["cust 2026-10", "cust 2026-11"])
        #expect(try db.invoices().map(\.number) == ["TST-001-001", "TST-001-002", "TST-001-003"])
        #expect(FileManager.default.fileExists(atPath: db.invoicePath("2026-10", "TST-001-001")))
    }

    @Test func oneCloseOfEverythingNumbersAsTheStepwiseCloses() throws {
        let db = try TestDatabase()
        try db.applyCatalog(Self.catalog(start: "2026-10-15T00:00:00Z"))
        try db.ingestAccepted([tokenEvent("o1", subscription: "sub", at: "2026-10-20T00:00:00Z", tokens: 1_500_000)])

        let all = try db.close(.endedBefore(Self.at(2026, 12, 2)))
        // The start invoice first (1700), then October (200 + 3100) and November (0 + 3100).
        #expect(all.issued.map(\.number) == ["TST-001-001", "TST-001-002", "TST-001-003"])
        #expect(all.issued.map(\.period) == ["2026-10", "2026-10", "2026-11"])
        #expect(all.issued.map(\.totalAmountCents) == [1700, 3300, 3100])
        #expect(try db.close(.endedBefore(Self.at(2026, 12, 2))).issued.isEmpty)
    }

    @Test func aPeriodCloseIssuesTheStartInvoicesOfItsMonthOnly() throws {
        let db = try TestDatabase()
        try db.applyCatalog(Self.catalog(start: "2026-11-10T00:00:00Z"))
        // October: the subscription has not started.
        #expect(try db.close(.month(year: 2026, month: 10)).issued.isEmpty)
        // November has not ended on 15 November, but the subscription has started: 10…30 November =
        // 21 of 30 days × 3100 = 2170.
        let november = try db.close(.month(year: 2026, month: 11), now: Self.at(2026, 11, 15))
        #expect(november.issued.map(\.totalAmountCents) == [2170])
        #expect(november.notEnded.count == 1)
        #expect(try db.invoice("cust", "2026-11").issuingDate == "2026-11-10")
    }

    @Test func aStartInvoiceTakesWalletCreditsFirst() throws {
        let db = try TestDatabase()
        try db.applyCatalog(CloseCatalog.document(
            plans: [Self.plan()], customers: [CloseCatalog.customer("cust")],
            subscriptions: [CloseCatalog.subscription("sub", customer: "cust", plan: "ahead", at: "2026-10-15T00:00:00Z")],
            wallets: [CloseCatalog.wallet("credits", customer: "cust", granted: "10")]))
        let summary = try db.close(.endedBefore(Self.at(2026, 11, 2)))
        // The start invoice (1700) takes the wallet's 10.00 (1000): 700 left to pay. October's (3100)
        // finds the wallet empty.
        #expect(summary.issued.map(\.prepaidCreditAmountCents) == [1000, 0])
        #expect(summary.issued.map(\.totalAmountCents) == [700, 3100])
        #expect(try db.walletTransactions().compactMap(\.invoiceNumber) == ["TST-001-001"])
    }

    @Test func closingALaterMonthFirstBillsEachFeeOnce() throws {
        let db = try TestDatabase()
        try db.applyCatalog(Self.catalog(start: "2026-10-15T00:00:00Z"))
        // November first: its fee was not billed ahead, so in arrears (3100), and December's ahead (3100).
        let november = try db.close(.month(year: 2026, month: 11))
        #expect(november.issued.map(\.totalAmountCents) == [6200])
        // Then October: no start invoice, the subscription is billed already; October's invoice bills
        // October's fee in arrears (17 of 31 days × 3100 = 1700) and not November's (billed already).
        let october = try db.close(.month(year: 2026, month: 10))
        #expect(october.issued.map(\.isStart) == [false])
        #expect(october.issued.map(\.totalAmountCents) == [1700])
        #expect(Self.lines(try db.fees(of: try db.invoice("cust", "2026-10"))) == ["subscription 1700"])
    }

    // MARK: Trials

    @Test func aTrialEndingInTheNextMonthProratesItsAdvanceFee() throws {
        let db = try TestDatabase()
        // 20 days from 15 October: the trial ends on 4 November at 00:00.
        try db.applyCatalog(Self.catalog(start: "2026-10-15T00:00:00Z", trialDays: 20))
        let summary = try db.close(.endedBefore(Self.at(2026, 12, 2)))
        // Start invoice: the trial covers the rest of October, no line, 0 to pay.
        // October: November from its 4th: 27 of 30 days × 3100 = 2790. November: December whole, 3100.
        #expect(summary.issued.map(\.totalAmountCents) == [0, 2790, 3100])
        let invoices = try db.invoices()
        #expect(try db.fees(of: invoices[0]).isEmpty)
        #expect(invoices[0].paymentStatus == "succeeded")
        let october = try db.fees(of: invoices[1])
        #expect(Self.lines(october) == ["subscription 2790"])
        // The line bills November: Lago's boundaries, not shortened by the trial.
        #expect(october[0].fromMicros == micros("2026-11-01T00:00:00Z"))
        #expect(Self.lines(try db.fees(of: invoices[2])) == ["subscription 3100"])
    }

    @Test func aTrialCoveringTheNextMonthGivesNoAdvanceLine() throws {
        let db = try TestDatabase()
        // 60 days from 15 October: the trial ends on 14 December at 00:00.
        try db.applyCatalog(Self.catalog(start: "2026-10-15T00:00:00Z", trialDays: 60))
        let summary = try db.close(.endedBefore(Self.at(2027, 1, 2)), now: Self.at(2027, 1, 15))
        // Start: 0. October: no November line (0). November: December from the 14th: 18 of 31 days ×
        // 3100 = 1800. December: January whole, 3100.
        #expect(summary.issued.map(\.totalAmountCents) == [0, 0, 1800, 3100])
        #expect(try db.invoices().map(\.period) == ["2026-10", "2026-10", "2026-11", "2026-12"])
    }

    // MARK: Termination

    @Test func aTerminationGetsNoAdvanceFeeAndNoRefund() throws {
        let db = try TestDatabase()
        try db.applyCatalog(Self.catalog(start: "2026-10-05T00:00:00Z"))
        // The start invoice: 5…31 October = 27 of 31 days × 3100 = 2700.
        #expect(try db.close(.endedBefore(Self.at(2026, 10, 6))).issued.map(\.totalAmountCents) == [2700])
        try db.ingestAccepted([tokenEvent("o1", subscription: "sub", at: "2026-10-10T00:00:00Z", tokens: 500_000)])

        // The start invoice of October does not stand in the way of ending within October.
        let report = try SubscriptionTermination.terminate(
            externalId: "sub", at: try #require(TimestampParser.parseRFC3339("2026-10-20T12:00:00Z"[...])), database: db.database)
        #expect(report.changed)

        let summary = try db.close(.endedBefore(Self.at(2026, 12, 2)))
        // October: its charges only (500,000 tokens → 1 × 1.00 = 100); October's fee was billed at the
        // start and is not refunded (Lago would issue a credit note); no November fee; no November invoice.
        #expect(summary.issued.map(\.totalAmountCents) == [100])
        #expect(Self.lines(try db.fees(of: try db.invoices()[1])) == ["charge 100"])
        #expect(try db.invoices().map(\.period) == ["2026-10", "2026-10"])
    }

    // MARK: Catalog changes

    @Test func aPlanBecomingPayInAdvanceBillsTheCurrentMonthInArrearsAndTheNextAhead() throws {
        let db = try TestDatabase()
        try db.applyCatalog(Self.catalog(start: "2026-09-01T00:00:00Z", payInAdvance: false))
        // September in arrears: 3100.
        #expect(try db.close(.endedBefore(Self.at(2026, 10, 2))).issued.map(\.totalAmountCents) == [3100])

        // In October the plan becomes pay-in-advance (a new plan version).
        let apply = try db.applyCatalog(Self.catalog(start: "2026-09-01T00:00:00Z", payInAdvance: true))
        #expect(apply.planVersions == ["ahead": 2])
        let october = try db.close(.endedBefore(Self.at(2026, 11, 2)))
        // No start invoice: the subscription was billed already. October was not paid ahead, so it is
        // billed in arrears (3100), and November ahead (3100).
        #expect(october.issued.map(\.period) == ["2026-10"])
        #expect(Self.lines(try db.fees(of: try db.invoice("cust", "2026-10"))) == ["subscription 3100", "subscription 3100"])

        // Back to arrears in November: November was paid ahead, so its invoice bills no fee; none ahead.
        _ = try db.applyCatalog(Self.catalog(start: "2026-09-01T00:00:00Z", payInAdvance: false))
        let november = try db.close(.endedBefore(Self.at(2026, 12, 2)))
        #expect(november.issued.map(\.totalAmountCents) == [0])
        // December is billed in arrears again.
        #expect(try db.close(.endedBefore(Self.at(2027, 1, 2)), now: Self.at(2027, 1, 15)).issued.map(\.totalAmountCents) == [3100])
    }

    // MARK: Reprocessing

    @Test func reprocessReratesThePeriodInvoiceAndLeavesTheStartInvoiceAlone() throws {
        let db = try TestDatabase()
        try db.applyCatalog(Self.catalog(start: "2026-10-15T00:00:00Z"))
        try db.ingestAccepted([tokenEvent("o1", subscription: "sub", at: "2026-10-20T00:00:00Z", tokens: 1_500_000)])
        _ = try db.close(.endedBefore(Self.at(2026, 11, 2)))
        let before = try db.reprocessSnapshot()

        // Nothing changed: one period invoice, unchanged; the start invoice is no concern of reprocess.
        let unchanged = try db.reprocess()
        #expect(unchanged.invoices.map(\.outcome) == [.unchanged])
        #expect(unchanged.invoices.map(\.oldNumber) == ["TST-001-002"])
        #expect(try db.reprocessSnapshot() == before)

        // A late October event: 1,500,000 + 1,000,000 tokens → 3 × 1.00 = 300, November's fee unchanged.
        try db.ingestAccepted([tokenEvent("o2", subscription: "sub", at: "2026-10-25T00:00:00Z", tokens: 1_000_000)], name: "late.ndjson")
        let changed = try db.reprocess()
        #expect(changed.invoices.map(\.outcome) == [.reissued])
        #expect(changed.invoices.map(\.newNumber) == ["TST-001-003"])
        let invoices = try db.invoices()
        #expect(invoices.map { "\($0.number) \($0.status) \($0.totalAmountCents)" }
                == ["TST-001-001 finalized 1700", "TST-001-002 voided 3300", "TST-001-003 finalized 3400"])
        #expect(Self.lines(try db.fees(of: invoices[2])) == ["charge 300", "subscription 3100"])
        #expect(try db.reprocess().invoices.map(\.outcome) == [.unchanged])
    }
}
