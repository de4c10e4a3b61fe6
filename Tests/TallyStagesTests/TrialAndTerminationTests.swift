import Foundation
import Testing
import TallyCore
import TallyStages

/// docs/BILLING.md (the prorated plan fee: trials and terminations) through catalog apply, ingest,
/// `tally subscription terminate` and close.
@Suite struct TrialAndTerminationTests {
    /// `CloseCatalog.plan` with Lago's `trial_period` (days).
    private func plan(_ code: String, amountCents: Int, trialDays: String) -> String {
        CloseCatalog.plan(code, amountCents: amountCents, charges: [CloseCatalog.perFilterCharge])
            .replacingOccurrences(of: #""pay_in_advance": false"#, with: #""pay_in_advance": false, "trial_period": \#(trialDays)"#)
    }

    @Test func aTrialEndingMidPeriodIsNotBilledButItsUsageIs() throws {
        let db = try TestDatabase()
        try db.applyCatalog(CloseCatalog.document(
            plans: [plan("trial", amountCents: 3100, trialDays: "10")],
            customers: [CloseCatalog.customer("cust")],
            subscriptions: [CloseCatalog.subscription("sub", customer: "cust", plan: "trial", at: "2026-10-01T00:00:00Z")]))
        let path = try db.write("events.ndjson", tokenEvent("in-trial", subscription: "sub", at: "2026-10-05T00:00:00Z", tokens: 1_500_000) + "\n")
        expectCounts(try db.ingest(path), read: 1, accepted: 1)

        _ = try db.close(.endedBefore(UTCInstant(year: 2026, month: 12, day: 1)!))
        let october = try db.fees(of: try db.invoice("cust", "2026-10"))
        // Usage during the trial: 1,500,000 small-input tokens → 2 packages × 1.00 = 200.
        #expect(october.map(\.feeType) == ["charge", "subscription"])
        #expect(october[0].amountCents == 200)
        // The trial ends on October 11th at 00:00: days 11…31 = 21 of 31 × 3100 = 2100.
        #expect(october[1].amountCents == 2100)
        // November is billed in full.
        #expect(try db.fees(of: try db.invoice("cust", "2026-11")).map(\.amountCents) == [3100])
    }

    @Test func aTerminatedSubscriptionBillsItsLastPeriodUpToTheEnd() throws {
        let db = try TestDatabase()
        let catalog = CloseCatalog.document(
            plans: [CloseCatalog.plan("tokens", amountCents: 3100, charges: [CloseCatalog.perFilterCharge])],
            customers: [CloseCatalog.customer("cust"), CloseCatalog.customer("other")],
            subscriptions: [
                CloseCatalog.subscription("sub", customer: "cust", plan: "tokens", at: "2026-09-01T00:00:00Z"),
                CloseCatalog.subscription("other-sub", customer: "other", plan: "tokens", at: "2026-09-01T00:00:00Z"),
            ])
        try db.applyCatalog(catalog)
        let first = try db.write("first.ndjson", [
            tokenEvent("a", subscription: "sub", at: "2026-10-05T00:00:00Z", tokens: 1_500_000),
            tokenEvent("b", subscription: "sub", at: "2026-10-20T08:00:00Z", tokens: 500_000, type: "output"),
        ].joined(separator: "\n") + "\n")
        expectCounts(try db.ingest(first), read: 2, accepted: 2)

        func terminate(_ id: String, at text: String) throws -> SubscriptionCommandReport {
            try SubscriptionTermination.terminate(externalId: id, at: try #require(TimestampParser.parseRFC3339(text[...])),
                                                  database: db.database)
        }
        // An event is stored after the 14th: terminating there would drop it from billing.
        #expect(throws: SubscriptionCommandError.self) { try terminate("sub", at: "2026-10-14T00:00:00Z") }
        #expect(throws: SubscriptionCommandError.self) { try terminate("nobody", at: "2026-10-14T00:00:00Z") }
        #expect(throws: SubscriptionCommandError.self) { try terminate("sub", at: "2026-08-01T00:00:00Z") }

        let report = try terminate("sub", at: "2026-10-20T12:00:00Z")
        #expect(report.changed && report.period == "2026-10")
        #expect(try terminate("sub", at: "2026-10-20T12:00:00Z").changed == false)
        #expect(throws: SubscriptionCommandError.self) { try terminate("sub", at: "2026-10-25T00:00:00Z") }

        // Applying the catalog file again (it has no ending_at) keeps the termination.
        try db.applyCatalog(catalog)
        let late = try db.write("late.ndjson", tokenEvent("c", subscription: "sub", at: "2026-10-21T00:00:00Z", tokens: 1) + "\n")
        expectCounts(try db.ingest(late), read: 1, accepted: 0, rejected: [.outsideSubscription: 1])

        _ = try db.close(.endedBefore(UTCInstant(year: 2026, month: 12, day: 1)!))
        let october = try db.fees(of: try db.invoice("cust", "2026-10"))
        // Usage up to the end: 200 (small-input) + 200 (small-output); the fee for October 1st…20th:
        // 20 of 31 days × 3100 = 2000.
        #expect(october.map(\.amountCents) == [200, 200, 2000])
        #expect(october[2].toMicros == micros("2026-10-20T12:00:00Z"))
        // Nothing after the end: no November invoice for this customer, the other one has its own.
        #expect(try db.invoices().filter { $0.customer == "cust" }.map(\.period) == ["2026-09", "2026-10"])
        #expect(try db.invoices().filter { $0.customer == "other" }.map(\.period) == ["2026-09", "2026-10", "2026-11"])

        let document = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: db.invoicePath("2026-10", try db.invoice("cust", "2026-10").number))))
            as? [String: Any])
        let subscription = try #require((document["subscriptions"] as? [[String: Any]])?.first)
        #expect(subscription["status"] as? String == "terminated")
        #expect(subscription["terminated_at"] as? String == "2026-10-20T12:00:00Z")

        // A period already closed cannot take a termination.
        #expect(throws: SubscriptionCommandError.self) { try terminate("other-sub", at: "2026-11-10T00:00:00Z") }
    }
}
