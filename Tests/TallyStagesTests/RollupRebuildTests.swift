import Testing
import TallyCore
import TallyStages

/// The monthly rollups are bucketed by the customer's timezone and a metric's filter keys: a catalog
/// change to either rebuilds them, so close keeps billing what the events say.
@Suite struct RollupRebuildTests {
    static func catalog(timezone: String) -> String {
        CloseCatalog.document(
            plans: [CloseCatalog.plan("tokens", charges: [CloseCatalog.perFilterCharge])],
            customers: [CloseCatalog.customer("cust", timezone: timezone)],
            subscriptions: [CloseCatalog.subscription("sub", customer: "cust", plan: "tokens", at: "2026-08-01T00:00:00Z")])
    }

    @Test func aCustomerMovingTimezoneHasItsMonthsRebucketed() throws {
        let db = try TestDatabase()
        try db.applyCatalog(Self.catalog(timezone: "UTC"))
        // 2026-10-01T02:00Z is October 1 in UTC but September 30 in New York (UTC-4).
        try db.ingestAccepted([tokenEvent("edge", subscription: "sub", at: "2026-10-01T02:00:00Z", tokens: 3_000_000)])
        #expect(try db.scalar("SELECT month::text FROM event_rollups") == "2026-10-01")

        try db.applyCatalog(Self.catalog(timezone: "America/New_York"))
        #expect(try db.scalar("SELECT month::text FROM event_rollups") == "2026-09-01")
        #expect(try db.scalar("SELECT sum(units)::text FROM event_rollups") == "3000000")

        _ = try db.close(.month(year: 2026, month: 9))
        // 3,000,000 small-input tokens at 1.00 per million: 300 cents, billed in September.
        #expect(try db.invoice("cust", "2026-09").feesAmountCents == 300)
    }
}
