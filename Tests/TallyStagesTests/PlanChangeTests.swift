import Foundation
import Testing
import TallyCore
import TallyStages

/// docs/BILLING.md (changing plan at a date): `tally subscription change-plan` splits a subscription
/// into a part per plan, each billed with its own plan on the invoice of the month.
@Suite struct PlanChangeTests {
    @Test func eachPartOfTheMonthIsBilledWithItsOwnPlan() throws {
        let db = try TestDatabase()
        let catalog = CloseCatalog.document(
            plans: [CloseCatalog.plan("basic", amountCents: 3_100, charges: [CloseCatalog.perFilterCharge]),
                    CloseCatalog.plan("pro", amountCents: 6_200, charges: [CloseCatalog.charge(properties: CloseCatalog.package("0.5"))])],
            customers: [CloseCatalog.customer("cust")],
            subscriptions: [CloseCatalog.subscription("sub", customer: "cust", plan: "basic", at: "2026-09-01T00:00:00Z")])
        try db.applyCatalog(catalog)
        let before = try db.write("before.ndjson", tokenEvent("a", subscription: "sub", at: "2026-10-05T00:00:00Z", tokens: 1_500_000) + "\n")
        expectCounts(try db.ingest(before), read: 1, accepted: 1)

        func change(at text: String) throws -> SubscriptionCommandReport {
            try SubscriptionTermination.changePlan(externalId: "sub", to: "pro", at: try #require(TimestampParser.parseRFC3339(text[...])),
                                                   database: db.database)
        }
        // An event is stored after October 1st: moving it to the other plan's part is refused.
        #expect(throws: SubscriptionCommandError.self) { try change(at: "2026-10-01T00:00:00Z") }
        #expect(try change(at: "2026-10-11T00:00:00Z").period == "2026-10")

        // Events from the change on go to the new part; the old catalog file no longer applies.
        let after = try db.write("after.ndjson", [
            tokenEvent("b", subscription: "sub", at: "2026-10-11T00:00:00Z", tokens: 3_000_000),
            tokenEvent("c", subscription: "sub", at: "2026-10-20T00:00:00Z", tokens: 1_000_000, type: "output"),
        ].joined(separator: "\n") + "\n")
        expectCounts(try db.ingest(after), read: 2, accepted: 2)
        #expect(throws: CatalogErrors.self) { try db.applyCatalog(catalog) }
        #expect(try db.applyCatalog(catalog.replacingOccurrences(of: #""plan_code": "basic""#, with: #""plan_code": "pro""#)).changedNothing)

        // September, before the change, bills basic's whole month: the change day is not September's.
        _ = try db.close(.month(year: 2026, month: 9))
        #expect(try db.fees(of: try db.invoice("cust", "2026-09")).map(\.amountCents) == [3_100])
        _ = try db.close(.month(year: 2026, month: 10))
        let fees = try db.fees(of: try db.invoice("cust", "2026-10"))
        // basic, October 1st–10th: 1,500,000 small-input → 2 × 1.00 = 200; the fee for 11 − 1 = 10 days
        // (the change day is the new plan's) × 3100 ÷ 31 = 1000.
        // pro, October 11th–31st: 4,000,000 tokens at 0.50 per million = 200; 21 days × 6200 ÷ 31 = 4200.
        #expect(fees.map(\.amountCents) == [200, 1_000, 200, 4_200])
        #expect(fees.map(\.feeType) == ["charge", "subscription", "charge", "subscription"])
        #expect(fees[2].units == 4_000_000)
        #expect(fees[2].fromMicros == micros("2026-10-11T00:00:00Z"))

        // November bills pro alone, in full.
        _ = try db.close(.month(year: 2026, month: 11))
        #expect(try db.fees(of: try db.invoice("cust", "2026-11")).map(\.amountCents) == [6_200])
        // A closed period cannot be split any more.
        #expect(throws: SubscriptionCommandError.self) {
            try SubscriptionTermination.changePlan(externalId: "sub", to: "basic", at: UTCInstant(year: 2026, month: 11, day: 20)!,
                                                   database: db.database)
        }
    }
}
