import Foundation
import Testing
import TallyCore
import TallyStages

/// docs/BILLING.md (plan intervals) through catalog apply, ingest and close: calendar quarters and
/// years billed in their last month, a year's charges billed monthly, usage summed over the period.
@Suite struct PlanIntervalCloseTests {
    /// `CloseCatalog.plan` with another interval (and Lago's `bill_charges_monthly`).
    private func plan(_ code: String, amountCents: Int, interval: String, chargesMonthly: Bool = false) -> String {
        CloseCatalog.plan(code, amountCents: amountCents, charges: [CloseCatalog.perFilterCharge])
            .replacingOccurrences(of: #""interval": "monthly""#,
                                  with: #""interval": "\#(interval)", "bill_charges_monthly": \#(chargesMonthly)"#)
    }

    @Test func aQuarterAndAYearAreBilledInTheirLastMonth() throws {
        let db = try TestDatabase()
        let catalog = CloseCatalog.document(
            plans: [plan("quarterly", amountCents: 9_200, interval: "quarterly"),
                    plan("yearly", amountCents: 36_500, interval: "yearly", chargesMonthly: true)],
            customers: [CloseCatalog.customer("q"), CloseCatalog.customer("y")],
            subscriptions: [CloseCatalog.subscription("q-sub", customer: "q", plan: "quarterly", at: "2026-10-01T00:00:00Z"),
                            CloseCatalog.subscription("y-sub", customer: "y", plan: "yearly", at: "2026-10-01T00:00:00Z")])
        try db.applyCatalog(catalog)
        let path = try db.write("events.ndjson", [
            tokenEvent("q1", subscription: "q-sub", at: "2026-10-05T00:00:00Z", tokens: 1_500_000),
            tokenEvent("q2", subscription: "q-sub", at: "2026-12-20T00:00:00Z", tokens: 400_000),
            tokenEvent("y1", subscription: "y-sub", at: "2026-10-05T00:00:00Z", tokens: 1_500_000),
            tokenEvent("y2", subscription: "y-sub", at: "2026-12-20T00:00:00Z", tokens: 400_000),
        ].joined(separator: "\n") + "\n")
        expectCounts(try db.ingest(path), read: 4, accepted: 4)

        _ = try db.close(.endedBefore(UTCInstant(year: 2027, month: 1, day: 2)!), now: UTCInstant(year: 2027, month: 1, day: 15)!)
        // The quarterly customer has one invoice, December's: the quarter's 1,900,000 small-input
        // tokens → 2 packages × 1.00 = 200, and the quarter's fee 9200 (from October 1st: all 92 days).
        #expect(try db.invoices().filter { $0.customer == "q" }.map(\.period) == ["2026-12"])
        let quarter = try db.fees(of: try db.invoice("q", "2026-12"))
        #expect(quarter.map(\.amountCents) == [200, 9_200])
        #expect(quarter[0].units == 1_900_000)
        #expect(quarter[0].fromMicros == micros("2026-10-01T00:00:00Z"))
        // The yearly customer is billed every month for its charges: October 1,500,000 → 200,
        // November nothing, December 400,000 → 100 plus the year's fee from October 1st: 92 of 365
        // days × 36500 = 9200.
        #expect(try db.invoices().filter { $0.customer == "y" }.map(\.period) == ["2026-10", "2026-11", "2026-12"])
        #expect(try db.fees(of: try db.invoice("y", "2026-10")).map(\.amountCents) == [200])
        #expect(try db.fees(of: try db.invoice("y", "2026-11")).map(\.amountCents) == [])
        #expect(try db.fees(of: try db.invoice("y", "2026-12")).map(\.amountCents) == [100, 9_200])

        // Reprocessing December changes nothing; the interval cannot change under subscriptions.
        let reprocessed = try ReprocessStage(database: db.database, outDirectory: db.outDirectory).reprocess(year: 2026, month: 12)
        #expect(reprocessed.invoices.map(\.outcome) == [.unchanged, .unchanged])
        do {
            try db.applyCatalog(catalog.replacingOccurrences(of: #""interval": "quarterly""#, with: #""interval": "monthly""#))
            Issue.record("changing the interval of a plan with subscriptions was applied")
        } catch let error as CatalogErrors {
            #expect(error.errors.map(\.path) == ["plans[0].interval"])
        }
    }
}
