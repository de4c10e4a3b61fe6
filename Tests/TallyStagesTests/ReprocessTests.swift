import Foundation
import Testing
import TallyCore
import TallyStages

/// docs/BILLING.md, reprocessing (with validation, invoices and wallets): reprocessing a closed period
/// re-rates it from the stored events, late ones included. An invoice that would change is voided
/// (keeping its number, its credits returned) and a new one issued with the customer's next number; one
/// that would not stays as it is. A dry run reports the difference and writes nothing.
///
/// October, plan `tokens` (10.00 USD a month + the per-filter prices of `CloseCatalog.perFilterCharge`):
/// - `one` has a wallet of 5 granted + 10 purchased credits at 1.0 (1500 cents), 2,000,000 small-input
///   tokens at close, then late: 3,500,000 more small-input and 1,000,000 large-output;
/// - `two` has no wallet and 3,000,000 large-input tokens, and nothing late in October.
@Suite struct ReprocessTests {
    static let subscriptionCents: Int64 = 1000
    /// One million tokens: 1.00, 2.00, 3.00, 4.00 USD for small-input, small-output, large-input, large-output.
    static func cents(_ tokens: Int, perMillion dollars: Int) -> Int64 {
        Int64(packages(tokens, size: 1_000_000) * dollars * 100)
    }

    static let walletGrantedCents: Int64 = 500
    static let walletPurchasedCents: Int64 = 1000

    // `one` at close: 2 packages of small-input + the subscription fee.
    static let oneSmallBefore = cents(2_000_000, perMillion: 1)
    static let oneFeesBefore = oneSmallBefore + subscriptionCents
    // Granted credits pay first, then purchased ones, up to the invoice.
    static let oneGrantedBefore = min(walletGrantedCents, oneFeesBefore)
    static let onePurchasedBefore = min(walletPurchasedCents, oneFeesBefore - oneGrantedBefore)
    static let oneTotalBefore = oneFeesBefore - oneGrantedBefore - onePurchasedBefore

    // `one` re-rated: 2,000,000 + 3,500,000 small-input tokens, 1,000,000 large-output.
    static let oneSmallAfter = cents(5_500_000, perMillion: 1)
    static let oneLargeOutputAfter = cents(1_000_000, perMillion: 4)
    static let oneFeesAfter = oneSmallAfter + oneLargeOutputAfter + subscriptionCents
    // The old credits are returned first: the whole wallet is there again.
    static let oneGrantedAfter = min(walletGrantedCents, oneFeesAfter)
    static let onePurchasedAfter = min(walletPurchasedCents, oneFeesAfter - oneGrantedAfter)
    static let oneTotalAfter = oneFeesAfter - oneGrantedAfter - onePurchasedAfter

    static let twoFees = cents(3_000_000, perMillion: 3) + subscriptionCents

    static let lateEvents = [
        tokenEvent("o2", subscription: "one-sub", at: "2026-10-20T00:00:00Z", tokens: 3_500_000),
        tokenEvent("o3", subscription: "one-sub", at: "2026-10-31T23:59:59Z", tokens: 1_000_000, model: "large", type: "output"),
        // November is not closed: not late, and no concern of October's invoices.
        tokenEvent("t2", subscription: "two-sub", at: "2026-11-01T00:00:00Z", tokens: 7_000_000, model: "large"),
    ]

    /// October closed for `one` and `two`, then the late events ingested.
    static func closedOctoberWithLateEvents(extraCustomers: [String] = [], extraSubscriptions: [String] = []) throws -> TestDatabase {
        let db = try TestDatabase()
        try db.applyCatalog(CloseCatalog.document(
            plans: [CloseCatalog.plan("tokens", amountCents: Int(subscriptionCents), charges: [CloseCatalog.perFilterCharge])],
            customers: [CloseCatalog.customer("one"), CloseCatalog.customer("two")] + extraCustomers,
            subscriptions: [
                CloseCatalog.subscription("one-sub", customer: "one", plan: "tokens", at: "2026-09-01T00:00:00Z"),
                CloseCatalog.subscription("two-sub", customer: "two", plan: "tokens", at: "2026-09-01T00:00:00Z"),
            ] + extraSubscriptions,
            wallets: [CloseCatalog.wallet("credits", customer: "one", paid: "10", granted: "5")]))
        try db.ingestAccepted([
            tokenEvent("o1", subscription: "one-sub", at: "2026-10-02T00:00:00Z", tokens: 2_000_000),
            tokenEvent("t1", subscription: "two-sub", at: "2026-10-03T00:00:00Z", tokens: 3_000_000, model: "large"),
        ])
        let closed = try db.close(.month(year: 2026, month: 10))
        try #require(closed.issued.map(\.number) == ["TST-001-001", "TST-002-001"])
        try #require(closed.issued.map(\.totalAmountCents) == [oneTotalBefore, twoFees])
        try db.ingestAccepted(lateEvents, name: "late.ndjson")
        return db
    }

    @Test func aDryRunReportsTheDifferenceAndWritesNothing() throws {
        let db = try Self.closedOctoberWithLateEvents()
        let before = try db.reprocessSnapshot()

        let summary = try db.reprocess(dryRun: true)

        #expect(try db.reprocessSnapshot() == before, "no row and no file changed")
        #expect(summary.dryRun)
        #expect(summary.filesWritten.isEmpty)
        #expect(summary.invoices.map(\.customer) == ["one", "two"])
        #expect(summary.invoices.map(\.outcome) == [.wouldReissue, .unchanged])
        #expect(summary.invoices.map(\.oldNumber) == ["TST-001-001", "TST-002-001"])
        #expect(summary.invoices.map(\.newNumber) == [nil, nil])

        let one = summary.invoices[0]
        #expect(one.old == InvoiceAmounts(feesAmountCents: Self.oneFeesBefore,
                                          prepaidCreditAmountCents: Self.oneGrantedBefore + Self.onePurchasedBefore,
                                          totalAmountCents: Self.oneTotalBefore))
        #expect(one.new == InvoiceAmounts(feesAmountCents: Self.oneFeesAfter,
                                          prepaidCreditAmountCents: Self.oneGrantedAfter + Self.onePurchasedAfter,
                                          totalAmountCents: Self.oneTotalAfter))
        struct Line: Equatable {
            let kind: FeeChange.Kind
            let filter: String?
            let before: FeeFigures?
            let after: FeeFigures?
        }
        #expect(one.changes.map { Line(kind: $0.kind, filter: $0.filterInvoiceDisplayName, before: $0.before, after: $0.after) } == [
            Line(kind: .changed, filter: "small-input",
                 before: FeeFigures(units: ExactDecimal(2_000_000), eventsCount: 1, amountCents: Self.oneSmallBefore),
                 after: FeeFigures(units: ExactDecimal(2_000_000 + 3_500_000), eventsCount: 2, amountCents: Self.oneSmallAfter)),
            Line(kind: .added, filter: "large-output", before: nil,
                 after: FeeFigures(units: ExactDecimal(1_000_000), eventsCount: 1, amountCents: Self.oneLargeOutputAfter)),
        ])
        #expect(one.changes.allSatisfy { $0.externalSubscriptionId == "one-sub" && $0.feeType == "charge" && $0.itemCode == "ai_tokens" })
        #expect(one.changes.map(\.filters) == [
            .object(JSONObject([("model", ["small"]), ("type", ["input"])])),
            .object(JSONObject([("model", ["large"]), ("type", ["output"])])),
        ])

        let two = summary.invoices[1]
        #expect(two.changes.isEmpty)
        #expect(two.old == two.new)
        #expect(two.old.totalAmountCents == Self.twoFees)

        let json = try #require(summary.json.objectValue)
        #expect(json["period"] == "2026-10")
        #expect(json["dry_run"] == .bool(true))
        guard case .array(let invoices)? = json["invoices"] else { Issue.record("invoices is an array"); return }
        #expect(invoices.map { $0.objectValue?["status"] } == ["would_reissue", "unchanged"])
        #expect(invoices.map { $0.objectValue?["new_number"] } == [.null, .null])
        #expect(invoices.map { $0.objectValue?["old_total_amount_cents"] }
            == [.number(String(Self.oneTotalBefore)), .number(String(Self.twoFees))])
        #expect(invoices.map { $0.objectValue?["new_total_amount_cents"] }
            == [.number(String(Self.oneTotalAfter)), .number(String(Self.twoFees))])
    }

    @Test func aChangedInvoiceIsVoidedItsCreditsReturnedAndANewOneIssued() throws {
        let db = try Self.closedOctoberWithLateEvents()
        let old = try db.liveInvoice("one", "2026-10")
        let untouched = try db.liveInvoice("two", "2026-10")

        let summary = try db.reprocess()

        #expect(summary.invoices.map(\.outcome) == [.reissued, .unchanged])
        #expect(summary.invoices.map(\.newNumber) == ["TST-001-002", nil])
        let invoices = try db.invoices()
        #expect(invoices.map(\.number) == ["TST-001-001", "TST-001-002", "TST-002-001"])
        #expect(invoices.map(\.status) == ["voided", "finalized", "finalized"])

        // The old invoice keeps its number, amounts and fees; only its status changes, and it says when.
        let voided = invoices[0]
        #expect(voided.id == old.id)
        #expect(voided.totalAmountCents == old.totalAmountCents)
        #expect(try db.fees(of: voided).map(\.amountCents) == [Self.oneSmallBefore, Self.subscriptionCents])
        let voidedAt = try #require(try db.scalar("SELECT to_char(voided_at, 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM invoices WHERE number = 'TST-001-001'"))
        #expect(try db.scalar("SELECT voided_at <= now() AND voided_at > created_at FROM invoices WHERE number = 'TST-001-001'") == "t")

        let new = invoices[1]
        #expect(new.customer == "one")
        #expect(new.period == "2026-10")
        #expect(new.periodFromMicros == micros("2026-10-01T00:00:00Z"))
        #expect(new.periodToMicros == lastMicrosecond(of: "2026-10-31T23:59:59Z"))
        #expect(new.feesAmountCents == Self.oneFeesAfter)
        #expect(new.subTotalIncludingTaxesAmountCents == Self.oneFeesAfter)
        #expect(new.prepaidGrantedCreditAmountCents == Self.oneGrantedAfter)
        #expect(new.prepaidPurchasedCreditAmountCents == Self.onePurchasedAfter)
        #expect(new.totalAmountCents == Self.oneTotalAfter)
        #expect(new.paymentStatus == "pending")
        #expect(try db.fees(of: new).map { [$0.filterDisplayName ?? $0.feeType, $0.units.description, String($0.eventsCount), String($0.amountCents)] } == [
            ["small-input", "5500000", "2", String(Self.oneSmallAfter)],
            ["large-output", "1000000", "1", String(Self.oneLargeOutputAfter)],
            ["subscription", "1", "0", String(Self.subscriptionCents)],
        ])
        #expect(invoices[2] == untouched, "an invoice whose usage did not change stays as it is")

        // Credits: granted at creation, taken by the old invoice, returned with the same split, taken anew.
        func credits(_ cents: Int64) -> Decimal { Decimal(cents) / 100 }  // rate 1.0
        #expect(try db.walletTransactions() == [
            WalletTransactionRow(wallet: "credits", direction: "inbound", grantedCredits: credits(Self.walletGrantedCents),
                                 purchasedCredits: credits(Self.walletPurchasedCents), invoiceNumber: nil),
            WalletTransactionRow(wallet: "credits", direction: "outbound", grantedCredits: credits(Self.oneGrantedBefore),
                                 purchasedCredits: credits(Self.onePurchasedBefore), invoiceNumber: "TST-001-001"),
            WalletTransactionRow(wallet: "credits", direction: "inbound", grantedCredits: credits(Self.oneGrantedBefore),
                                 purchasedCredits: credits(Self.onePurchasedBefore), invoiceNumber: "TST-001-001"),
            WalletTransactionRow(wallet: "credits", direction: "outbound", grantedCredits: credits(Self.oneGrantedAfter),
                                 purchasedCredits: credits(Self.onePurchasedAfter), invoiceNumber: "TST-001-002"),
        ])
        #expect(try db.walletBalanceCents("credits")
            == Decimal(Self.walletGrantedCents + Self.walletPurchasedCents - Self.oneGrantedAfter - Self.onePurchasedAfter))

        // Files: the old document now says voided, the new one is written, two's is left alone.
        let oldDocument = try db.invoiceDocument("2026-10", "TST-001-001")
        #expect(oldDocument.status == "voided")
        #expect(oldDocument.total_amount_cents == Self.oneTotalBefore)
        #expect(try db.documentField("2026-10", "TST-001-001", "voided_at") as? String == voidedAt)
        #expect(try db.documentField("2026-10", "TST-001-002", "voided_at") is NSNull)
        let newDocument = try db.invoiceDocument("2026-10", "TST-001-002")
        #expect(newDocument.status == "finalized")
        #expect(newDocument.fees_amount_cents == Self.oneFeesAfter)
        #expect(newDocument.prepaid_credit_amount_cents == Self.oneGrantedAfter + Self.onePurchasedAfter)
        #expect(newDocument.total_amount_cents == Self.oneTotalAfter)
        #expect(newDocument.fees.map(\.units) == ["5500000", "1000000", "1"])
        // The wallet transactions export changed too: the void returned the old invoice's credits.
        #expect(Set(summary.filesWritten) == [
            db.invoicePath("2026-10", "TST-001-001"), db.invoicePath("2026-10", "TST-001-002"), db.summaryPath("2026-10"),
            db.outDirectory + "/wallets/2026-10/wallet_transactions.json",
        ])
        let rows = try db.summaryRows("2026-10")
        let header = rows[0]
        let number = try #require(header.firstIndex(of: "number"))
        let status = try #require(header.firstIndex(of: "status"))
        let total = try #require(header.firstIndex(of: "total_amount_cents"))
        #expect(rows.dropFirst().map { [$0[number], $0[status], $0[total]] } == [
            ["TST-001-001", "voided", String(Self.oneTotalBefore)],
            ["TST-001-002", "finalized", String(Self.oneTotalAfter)],
            ["TST-002-001", "finalized", String(Self.twoFees)],
        ])

        let json = try #require(summary.json.objectValue)
        guard case .array(let reported)? = json["invoices"] else { Issue.record("invoices is an array"); return }
        #expect(reported.map { $0.objectValue?["status"] } == ["reissued", "unchanged"])
        #expect(reported.map { $0.objectValue?["new_number"] } == ["TST-001-002", .null])
        #expect(reported.map { $0.objectValue?["new_total_amount_cents"] }
            == [.number(String(Self.oneTotalAfter)), .number(String(Self.twoFees))])
    }

    @Test func reprocessingAgainRightAfterChangesNothing() throws {
        let db = try Self.closedOctoberWithLateEvents()
        _ = try db.reprocess()
        let before = try db.reprocessSnapshot()

        let again = try db.reprocess()

        #expect(again.invoices.map(\.outcome) == [.unchanged, .unchanged])
        #expect(again.invoices.map(\.oldNumber) == ["TST-001-002", "TST-002-001"])
        #expect(again.invoices.allSatisfy { $0.changes.isEmpty && $0.newNumber == nil })
        #expect(again.filesWritten.isEmpty)
        #expect(try db.reprocessSnapshot() == before)
        // Closing the period again changes nothing either: it has one live invoice per customer.
        let close = try db.close(.month(year: 2026, month: 10))
        #expect(close.issued.isEmpty)
        #expect(close.alreadyClosed == ["one 2026-10", "two 2026-10"])
    }

    @Test func customerLimitsTheScope() throws {
        let db = try Self.closedOctoberWithLateEvents()
        try db.ingestAccepted([tokenEvent("t3", subscription: "two-sub", at: "2026-10-15T00:00:00Z", tokens: 1_000_000, model: "large")],
                              name: "late-two.ndjson")

        let dryRun = try db.reprocess(customer: "two", dryRun: true)
        #expect(dryRun.invoices.map(\.customer) == ["two"])
        #expect(dryRun.invoices.map(\.outcome) == [.wouldReissue])

        let summary = try db.reprocess(customer: "two")

        #expect(summary.invoices.map(\.customer) == ["two"])
        #expect(summary.invoices.map(\.outcome) == [.reissued])
        #expect(summary.invoices.map(\.newNumber) == ["TST-002-002"])
        // 3,000,000 + 1,000,000 large-input tokens: 4 packages at 3.00 USD, no wallet.
        let twoAfter = Self.cents(4_000_000, perMillion: 3) + Self.subscriptionCents
        #expect(summary.invoices.map(\.new.totalAmountCents) == [twoAfter])
        let invoices = try db.invoices()
        #expect(invoices.map(\.number) == ["TST-001-001", "TST-002-001", "TST-002-002"])
        #expect(invoices.map(\.status) == ["finalized", "voided", "finalized"])
        #expect(invoices.map(\.totalAmountCents) == [Self.oneTotalBefore, Self.twoFees, twoAfter])
        // `one`'s late usage waits for its own reprocess.
        #expect(try db.walletTransactions().map(\.invoiceNumber) == [nil, "TST-001-001"])
    }

    @Test func theNewNumberFollowsTheCustomersLastInvoiceOfAnyPeriod() throws {
        let db = try Self.closedOctoberWithLateEvents()
        let november = try db.close(.month(year: 2026, month: 11))
        #expect(november.issued.map(\.number) == ["TST-001-002", "TST-002-002"])
        // November for `one`: only the subscription fee, paid by what October left in the wallet.
        let leftAfterOctober = Self.walletGrantedCents + Self.walletPurchasedCents - Self.oneGrantedBefore - Self.onePurchasedBefore
        let novemberCredits = min(leftAfterOctober, Self.subscriptionCents)
        #expect(november.issued[0].prepaidCreditAmountCents == novemberCredits)

        let summary = try db.reprocess(customer: "one")

        #expect(summary.invoices.map(\.newNumber) == ["TST-001-003"])
        // Only October's own credits come back; November keeps what it took.
        let available = leftAfterOctober - novemberCredits + Self.oneGrantedBefore + Self.onePurchasedBefore
        let credits = min(available, Self.oneFeesAfter)
        let reissued = try db.liveInvoice("one", "2026-10")
        #expect(reissued.number == "TST-001-003")
        #expect(reissued.prepaidCreditAmountCents == credits)
        #expect(reissued.totalAmountCents == Self.oneFeesAfter - credits)
        #expect(try db.walletBalanceCents("credits") == Decimal(available - credits))
        #expect(try db.liveInvoice("one", "2026-11").number == "TST-001-002")
    }

    @Test func aCustomerWithoutAnInvoiceForThePeriodIsSkipped() throws {
        // `three` subscribes in November: October is not closed for it.
        let db = try Self.closedOctoberWithLateEvents(
            extraCustomers: [CloseCatalog.customer("three")],
            extraSubscriptions: [CloseCatalog.subscription("three-sub", customer: "three", plan: "tokens", at: "2026-11-05T00:00:00Z")])
        let before = try db.reprocessSnapshot()

        let summary = try db.reprocess(customer: "three")

        #expect(summary.invoices.isEmpty)
        #expect(summary.notClosed == ["three"])
        #expect(try db.reprocessSnapshot() == before)
    }

    @Test func aPeriodClosedForNobodyOrAnUnknownCustomerIsAnError() throws {
        let db = try Self.closedOctoberWithLateEvents()
        let notClosed = #expect(throws: ReprocessError.self) { try db.reprocess(month: (2026, 11)) }
        guard case .periodNotClosed("2026-11")? = notClosed else { Issue.record("got \(String(describing: notClosed))"); return }
        #expect("\(notClosed!)".contains("run tally close --period 2026-11"))
        let unknown = #expect(throws: ReprocessError.self) { try db.reprocess(customer: "nobody") }
        guard case .unknownCustomer("nobody")? = unknown else { Issue.record("got \(String(describing: unknown))"); return }
        #expect(try db.invoices().map(\.status) == ["finalized", "finalized"])
    }
}

/// Everything a reprocess may change: row counts, invoice statuses, and the period's files byte for byte.
struct ReprocessSnapshot: Equatable {
    let counts: [Int]
    let invoices: [InvoiceRow]
    let files: [String: Data]
}

extension TestDatabase {
    func reprocess(month: (year: Int, month: Int) = (2026, 10), customer: String? = nil, dryRun: Bool = false) throws -> ReprocessSummary {
        try ReprocessStage(database: database, outDirectory: outDirectory)
            .reprocess(year: month.year, month: month.month, customer: customer, dryRun: dryRun)
    }

    func reprocessSnapshot(period: String = "2026-10") throws -> ReprocessSnapshot {
        let directory = "\(outDirectory)/invoices/\(period)"
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
            files[name] = try Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(name)"))
        }
        return ReprocessSnapshot(
            counts: try ["invoices", "fees", "wallet_transactions", "events"].map { try count($0) },
            invoices: try invoices(), files: files)
    }

    /// The one live (not voided) invoice of `customer` for `period`.
    func liveInvoice(_ customer: String, _ period: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> InvoiceRow {
        let matching = try invoices().filter { $0.customer == customer && $0.period == period && $0.status != "voided" }
        try #require(matching.count == 1, "one live invoice of \(customer) for \(period) (got \(matching.count))",
                     sourceLocation: sourceLocation)
        return matching[0]
    }

    /// A top-level field of an invoice file, decoded by Foundation (`NSNull` for null).
    func documentField(_ period: String, _ number: String, _ field: String) throws -> Any? {
        let data = try Data(contentsOf: URL(fileURLWithPath: invoicePath(period, number)))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return object[field]
    }
}
