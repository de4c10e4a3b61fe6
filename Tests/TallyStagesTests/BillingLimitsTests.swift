import Foundation
import Testing
import TallyCore
import TallyStages

/// No single figure stops all invoicing: figures beyond what Tally bills exactly are refused where
/// they enter (an event, a catalog value), and one that is stored all the same (from before these
/// limits) stops only its own invoice; close issues the others and says which it could not.
@Suite struct BillingLimitsTests {
    static let catalog = CloseCatalog.document(
        plans: [CloseCatalog.plan("tokens", charges: [CloseCatalog.charge(properties: CloseCatalog.package("1"))])],
        customers: [CloseCatalog.customer("big"), CloseCatalog.customer("small")],
        subscriptions: [
            CloseCatalog.subscription("sub-big", customer: "big", plan: "tokens", at: "2026-01-01T00:00:00Z"),
            CloseCatalog.subscription("sub-small", customer: "small", plan: "tokens", at: "2026-01-01T00:00:00Z"),
        ])

    static func database() throws -> TestDatabase {
        let db = try TestDatabase()
        try db.applyCatalog(Self.catalog)
        return db
    }

    static func event(_ id: String, _ subscription: String, tokens: String) -> String {
        #"{"transaction_id": "\#(id)", "external_subscription_id": "\#(subscription)", "code": "ai_tokens", "timestamp": "2026-10-10T00:00:00Z", "properties": {"tokens": \#(tokens)}}"#
    }

    @Test func anEventOfTenToThe24TokensIsRejectedAndTheMonthIsInvoiced() throws {
        let db = try Self.database()
        let path = try db.write("huge.ndjson", [
            Self.event("huge", "sub-big", tokens: "1000000000000000000000000"),
            Self.event("fine", "sub-small", tokens: "3000000"),
        ].joined(separator: "\n") + "\n")
        expectCounts(try db.ingest(path), read: 2, accepted: 1, rejected: [.invalidAggregationProperty: 1])
        #expect(try db.rejects(for: path).first?.message.contains("at most 15 digits before the decimal point") == true)
        let summary = try db.close(.month(year: 2026, month: 10))
        #expect(summary.notIssued.isEmpty)
        #expect(summary.issued.map(\.customer).sorted() == ["big", "small"])
        #expect(try db.invoice("small", "2026-10").feesAmountCents == 300)
    }

    /// Usage stored before the limits (planted here in the rollups): its customer's invoice cannot
    /// be priced exactly, the other customer's is issued.
    @Test(arguments: [
        ("1000000000000000000000000", "too large to bill exactly"),
        ("100000000000000000000000000000000000000000", "beyond what Tally bills exactly (38 digits)"),
    ])
    func storedUsageBeyondTheLimitsStopsOnlyItsInvoice(units: String, reason: String) throws {
        let db = try Self.database()
        try db.ingestAccepted([Self.event("small-1", "sub-small", tokens: "2500000")])
        try db.connection.execute("""
            INSERT INTO event_rollups (subscription_id, code, month, filter_values, units, events_count)
            SELECT id, 'ai_tokens', '2026-10-01', '{}', $1::numeric, 1 FROM subscriptions WHERE external_id = 'sub-big'
            """, [units])
        let summary = try db.close(.month(year: 2026, month: 10))
        #expect(summary.issued.map(\.customer) == ["small"])
        #expect(try db.invoice("small", "2026-10").feesAmountCents == 300)
        let failure = try #require(summary.notIssued.first)
        #expect(summary.notIssued.count == 1)
        #expect(failure.customer == "big" && failure.period == "2026-10")
        #expect(failure.reason.contains(reason), "\(failure.reason)")
        #expect(try db.count("invoices") == 1)

        // tally usage says why instead of crashing.
        let error = try #require(throws: UsageError.self) { try db.usage("big", asOf: "2026-10-20T00:00:00Z") }
        #expect(error.kind == .cannotRate)
    }

    /// A plan stored with a price from before the limits (planted in its definition): its
    /// invoices cannot be priced; the other plan's are.
    @Test func aStoredPriceBeyondTheLimitsStopsOnlyItsInvoices() throws {
        let db = try TestDatabase()
        try db.applyCatalog(CloseCatalog.document(
            plans: [CloseCatalog.plan("tokens", charges: [CloseCatalog.charge(properties: CloseCatalog.package("1"))]),
                    CloseCatalog.plan("steep", charges: [CloseCatalog.charge(properties: CloseCatalog.package("1", size: 1))])],
            customers: [CloseCatalog.customer("big"), CloseCatalog.customer("small")],
            subscriptions: [
                CloseCatalog.subscription("sub-big", customer: "big", plan: "steep", at: "2026-01-01T00:00:00Z"),
                CloseCatalog.subscription("sub-small", customer: "small", plan: "tokens", at: "2026-01-01T00:00:00Z"),
            ]))
        try db.ingestAccepted([Self.event("b", "sub-big", tokens: "999999999999999"),
                               Self.event("s", "sub-small", tokens: "1000000")])
        try db.connection.execute("""
            UPDATE plans SET definition = jsonb_set(definition, '{charges,0,properties,amount}', '"99999999999999999999999"')
            WHERE code = 'steep'
            """)
        let summary = try db.close(.month(year: 2026, month: 10))
        #expect(summary.issued.map(\.customer) == ["small"])
        #expect(summary.notIssued.map(\.customer) == ["big"])
    }

    @Test(arguments: [
        (#""amount_cents": 9223372036854775807"#, "plans[0].amount_cents: must be a whole number from 0 to 999999999999999"),
        (#""amount_cents": 1000000000000000"#, "plans[0].amount_cents: must be a whole number from 0 to 999999999999999"),
    ])
    func aPlanFeeBeyondTheLimitIsRefusedWithItsPath(field: String, message: String) throws {
        let db = try TestDatabase()
        let catalog = Self.catalog.replacingOccurrences(of: #""amount_cents": 0"#, with: field)
        let errors = try #require(throws: CatalogErrors.self) { try db.applyCatalog(catalog) }
        #expect(errors.errors.map(\.description).contains { $0.contains(message) }, "\(errors)")
        #expect(try db.count("plans") == 0, "nothing applied")
    }

    @Test(arguments: [
        (CloseCatalog.package("1000000000"), "properties.amount: must have at most 9 digits before the decimal point and 12 after it"),
        (CloseCatalog.package("0.0000000000001"), "properties.amount: must have at most 9 digits"),
        (CloseCatalog.package("1", size: 10_000_000_000_000_000), "properties.package_size: must have at most 15 digits"),
    ])
    func aPriceBeyondTheLimitsIsRefusedWithItsPath(price: String, message: String) throws {
        let db = try TestDatabase()
        let catalog = CloseCatalog.document(
            plans: [CloseCatalog.plan("tokens", charges: [CloseCatalog.charge(properties: price)])],
            customers: [], subscriptions: [])
        let errors = try #require(throws: CatalogErrors.self) { try db.applyCatalog(catalog) }
        #expect(errors.errors.map(\.description).contains { $0.contains("plans[0].charges[0].\(message)") }, "\(errors)")
    }

    @Test(arguments: [
        (CloseCatalog.wallet("w", customer: "big", paid: "1" + String(repeating: "0", count: 36)), "wallets[0].paid_credits: must have at most 15 digits"),
        (CloseCatalog.wallet("w", customer: "big", paid: "999999999999999", rate: "999999999"), "wallets[0].paid_credits: with granted_credits, worth more than"),
        (CloseCatalog.wallet("w", customer: "big", paid: "1", rate: "1000000000"), "wallets[0].rate_amount: must have at most 9 digits"),
    ])
    func walletCreditsBeyondTheLimitsAreRefusedWithTheirPath(wallet: String, message: String) throws {
        let db = try TestDatabase()
        let catalog = CloseCatalog.document(
            plans: [CloseCatalog.plan("tokens", charges: [])], customers: [CloseCatalog.customer("big")],
            subscriptions: [], wallets: [wallet])
        let errors = try #require(throws: CatalogErrors.self) { try db.applyCatalog(catalog) }
        #expect(errors.errors.map(\.description).contains { $0.contains(message) }, "\(errors)")
        #expect(try db.count("wallets") == 0)
    }
}
