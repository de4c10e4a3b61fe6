import Testing
import TallyCore
import TallyKit

/// `tally usage` (SPEC §10): the open period's usage as Lago's customer_usage object, rated as
/// close will rate it.
@Suite struct CustomerUsageTests {
    static func database() throws -> TestDatabase {
        let db = try TestDatabase()
        _ = try db.applyCatalog(CloseCatalog.document(
            plans: [CloseCatalog.plan("tokens", charges: [CloseCatalog.perFilterCharge])],
            customers: [CloseCatalog.customer("ny", timezone: "America/New_York"), CloseCatalog.customer("other")],
            subscriptions: [
                CloseCatalog.subscription("ny-a", customer: "ny", plan: "tokens", at: "2026-09-01T04:00:00Z"),
                CloseCatalog.subscription("ny-b", customer: "ny", plan: "tokens", at: "2026-09-01T04:00:00Z"),
                CloseCatalog.subscription("other-a", customer: "other", plan: "tokens", at: "2026-09-01T00:00:00Z"),
            ]))
        try db.ingestAccepted([
            tokenEvent("1", subscription: "ny-a", at: "2026-10-05T12:00:00Z", tokens: 1_500_000),
            tokenEvent("2", subscription: "ny-a", at: "2026-10-06T12:00:00.25Z", tokens: 250_000, type: "output"),
            tokenEvent("3", subscription: "ny-b", at: "2026-10-07T12:00:00Z", tokens: 3_000_001, model: "large"),
            // 2026-11-01T03:00Z is still October in New York.
            tokenEvent("4", subscription: "ny-a", at: "2026-11-01T03:00:00Z", tokens: 500_000),
        ])
        return db
    }

    static func object(_ value: JSONValue?) -> JSONObject { value?.objectValue ?? JSONObject() }

    @Test func theOpenPeriodIsRatedAsCloseWillRateIt() throws {
        let db = try Self.database()
        let usage = try Self.object(CustomerUsage(connection: db.connection)
            .document(customer: "ny", subscription: nil, asOf: UTCInstant(year: 2026, month: 10, day: 20)!))
        #expect(usage["from_datetime"] == .string("2026-10-01T04:00:00Z"))
        #expect(usage["to_datetime"] == .string("2026-11-01T03:59:59Z"))
        #expect(usage["issuing_date"] == .string("2026-11-01"))
        // ny-a: small-input 2,000,000 → 2 packages × 1.00; small-output 250,000 → 1 × 2.00.
        // ny-b: large-input 3,000,001 → 4 packages × 3.00. Total 2 + 2 + 12 = 16.00.
        #expect(usage["amount_cents"] == .number("1600"))
        guard case .array(let charges)? = usage["charges_usage"] else { Issue.record("no charges_usage"); return }
        #expect(charges.count == 2)
        let first = Self.object(charges.first)
        #expect(first["units"] == .string("2250000"))
        #expect(first["events_count"] == .number("3"))
        guard case .array(let filters)? = first["filters"] else { Issue.record("no filters"); return }
        // Every filter is listed, zero buckets included.
        #expect(filters.count == 4)
        #expect(filters.map { Self.object($0)["amount_cents"] } == [.number("200"), .number("200"), .number("0"), .number("0")])

        try _ = db.close(.month(year: 2026, month: 10))
        #expect(try db.invoice("ny", "2026-10").feesAmountCents == 1600)
    }

    @Test func oneSubscriptionOnly() throws {
        let db = try Self.database()
        let usage = try Self.object(CustomerUsage(connection: db.connection)
            .document(customer: "ny", subscription: "ny-b", asOf: UTCInstant(year: 2026, month: 10, day: 20)!))
        #expect(usage["amount_cents"] == .number("1200"))
    }

    @Test func unknownCustomerAndAnotherCustomersSubscriptionAreErrors() throws {
        let db = try Self.database()
        let usage = CustomerUsage(connection: db.connection)
        let october = UTCInstant(year: 2026, month: 10, day: 20)!
        #expect(throws: UsageError.self) { try usage.document(customer: "nobody", subscription: nil, asOf: october) }
        #expect(throws: UsageError.self) { try usage.document(customer: "ny", subscription: "other-a", asOf: october) }
        // Before any subscription started there is nothing to show.
        #expect(throws: UsageError.self) {
            try usage.document(customer: "ny", subscription: nil, asOf: UTCInstant(year: 2026, month: 8, day: 20)!)
        }
    }
}
