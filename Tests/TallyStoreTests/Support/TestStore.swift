import Testing
import TallyCore
import TallyPostgres
@testable import TallyStore
import TallyTestSupport

/// A database of its own for one test (dropped when the value goes away, as a courtesy), the
/// `Store` under test on it, and a connection of the test's own to look at the tables with raw SQL.
final class TestStore {
    let scratch: ScratchDatabase
    let store: Store
    /// Not the store's connection: what it sees is what the store committed.
    let raw: PostgresConnection

    /// A fresh database, migrated unless `migrated` is false.
    init(migrated: Bool = true) throws {
        scratch = try ScratchDatabase()
        store = try Store(connectionString: scratch.connectionString)
        raw = try scratch.connect()
        if migrated { try store.migrate() }
    }

    /// Every row, each cell as text (NULL as nil).
    func rows(_ sql: String, _ parameters: [any PostgresEncodable] = []) throws -> [[String?]] {
        try raw.textRows(sql, parameters)
    }

    /// The first column of the first row, as text.
    func scalar(_ sql: String, _ parameters: [any PostgresEncodable] = []) throws -> String? {
        try rows(sql, parameters).first?.first ?? nil
    }

    func count(_ table: String) throws -> Int {
        let text = try scalar("SELECT count(*) FROM \(table)")
        return try #require(text.flatMap { Int($0) })
    }
}

/// A UTC instant given by its calendar fields (all tests use valid dates).
func utc(_ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0, _ minute: Int = 0, _ second: Int = 0,
         microsecond: Int = 0) -> UTCInstant {
    guard let instant = UTCInstant(year: year, month: month, day: day, hour: hour, minute: minute, second: second,
                                   microsecond: microsecond)
    else { preconditionFailure("\(year)-\(month)-\(day) \(hour):\(minute):\(second) is not a date") }
    return instant
}

func decimal(_ text: String) -> ExactDecimal {
    guard let value = ExactDecimal(decimalString: text) else { preconditionFailure("\(text) is not a decimal") }
    return value
}

/// A month in UTC, the timezone of `SmallCatalog`'s organization.
func utcPeriod(_ year: Int, _ month: Int) -> BillingPeriod {
    guard let period = BillingPeriod(year: year, month: month, timezone: "UTC") else { preconditionFailure("no period") }
    return period
}

/// A small catalog the invoice and wallet tests issue invoices against:
/// - organization "Acme Cloud", prefix `ACM`, timezone UTC;
/// - metric `tokens` (sums `tokens`, filters `model`: small, large and `type`: input, output);
/// - plan `pro` (`planName`): 10.00 USD a month, and one charge on `tokens`: 2 USD per started 1000 units;
///   5 USD per started 1000 for the filter `model = large` (`largeModel`); 1 USD per started
///   1000 for the filter `type = output, model = small` ("Small output", keys in that order);
/// - customers `alpha` and `beta` (created in that order), each with one subscription
///   (`alpha-main`, `beta-main`) started 2026-09-01T00:00:00Z, with no end.
enum SmallCatalog {
    static let organization = Organization(name: "Acme Cloud", documentNumberPrefix: "ACM", timezone: "UTC")
    static let tokens = BillableMetric(code: "tokens", name: "Tokens", fieldName: "tokens",
                                       filters: [MetricFilter(key: "model", values: ["small", "large"]),
                                                 MetricFilter(key: "type", values: ["input", "output"])])
    static let pro = Plan(
        code: "pro", name: SmallCatalog.planName, amountCents: 10_00, currency: "USD",
        charges: [Charge(
            billableMetricCode: "tokens",
            properties: .package(PackageProperties(amount: ExactDecimal(2), packageSize: ExactDecimal(1000))),
            filters: [ChargeFilter(invoiceDisplayName: SmallCatalog.largeModel,
                                   properties: .package(PackageProperties(amount: ExactDecimal(5), packageSize: ExactDecimal(1000))),
                                   values: [FilterCondition(key: "model", values: ["large"])]),
                      ChargeFilter(invoiceDisplayName: "Small output",
                                   properties: .package(PackageProperties(amount: ExactDecimal(1), packageSize: ExactDecimal(1000))),
                                   values: [FilterCondition(key: "type", values: ["output"]),
                                            FilterCondition(key: "model", values: ["small"])])])])
    static let start = utc(2026, 9, 1)
    /// Names with characters COPY's text format escapes (tab, newline, backslash) and non-ASCII ones.
    static let planName = "Pro \\ \"monthly\"\tplan"
    static let largeModel = "Large model ✓\n(new)"

    /// Saves the catalog and loads it back.
    static func save(in store: Store) throws -> StoredCatalog {
        let catalog = store.catalog
        _ = try catalog.save(organization)
        _ = try catalog.save(tokens)
        let planId = try #require(try catalog.save(pro).id)
        for name in ["alpha", "beta"] {
            let customerId = try #require(try catalog.save(Customer(externalId: name, name: name.capitalized, currency: "USD")).id)
            _ = try catalog.save(Subscription(externalId: "\(name)-main", externalCustomerId: name, planCode: "pro", subscriptionAt: start),
                                 customerId: customerId, planId: planId, startedAt: start)
        }
        return try catalog.load()
    }
}

extension SmallCatalog {
    /// Usage of `alpha-main` in a month, and what the plan makes of it (`pro`'s prices):
    /// - large/input, 2500 units in 3 events: the `largeModel` filter, ⌈2500 ÷ 1000⌉ × 5 = 15.00;
    /// - small/output, 1200 units in 2 events: the "Small output" filter, ⌈1200 ÷ 1000⌉ × 1 = 2.00;
    /// - small/input, 1500 units in 2 events: no filter, the charge's price, ⌈1500 ÷ 1000⌉ × 2 = 4.00;
    /// then the subscription fee, 10.00: 31.00 in all.
    static func alphaUsage(_ catalog: StoredCatalog) throws -> [Int64: [UsageBucket]] {
        [try catalog.requireSubscription("alpha-main").id: [
            UsageBucket(code: "tokens", filterValues: ["model": "large", "type": "input"], units: ExactDecimal(2500), eventsCount: 3),
            UsageBucket(code: "tokens", filterValues: ["model": "small", "type": "output"], units: ExactDecimal(1200), eventsCount: 2),
            UsageBucket(code: "tokens", filterValues: ["model": "small", "type": "input"], units: ExactDecimal(1500), eventsCount: 2),
        ]]
    }

    static let alphaFeeCents: [Int64] = [15_00, 2_00, 4_00, 10_00]
}

extension StoredCatalog {
    /// The stored customer of `externalId`; a test failure when there is none.
    func requireCustomer(_ externalId: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> CustomerRecord {
        try #require(customer(externalId: externalId), "customer \(externalId) is stored", sourceLocation: sourceLocation)
    }

    func requireSubscription(_ externalId: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> SubscriptionRecord {
        try #require(subscriptions.first { $0.externalId == externalId }, "subscription \(externalId) is stored",
                     sourceLocation: sourceLocation)
    }
}

extension TestStore {
    /// The draft of `customer`'s `period`, rated with `catalog` from `usage` (by subscription id).
    func draft(
        _ customer: String, _ period: BillingPeriod, catalog: StoredCatalog, usage: [Int64: [UsageBucket]] = [:],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> InvoiceDraft {
        let record = try catalog.requireCustomer(customer, sourceLocation: sourceLocation)
        return try #require(try InvoiceDraft.rate(customer: record, period: period, catalog: catalog, usage: usage),
                            "\(customer) has a subscription live in \(period)", sourceLocation: sourceLocation).draft
    }

    /// Numbers and settles `drafts` against the stored sequences and wallet balances, and inserts
    /// them in one transaction, as close does. Returns the issued drafts and their invoice ids.
    @discardableResult
    func issue(_ drafts: [InvoiceDraft], prefix: String = "ACM") throws -> (issued: [IssuedDraft], ids: [Int64]) {
        try store.transaction {
            let customerIds = Array(Set(drafts.map(\.customer.id)))
            var issuer = InvoiceIssuer(prefix: prefix, lastSequences: try store.invoices.lastSequences(customerIds: customerIds),
                                       wallets: try store.wallets.balances(customerIds: customerIds))
            let issued = try drafts.map { try issuer.issue($0) }
            let ids = try store.invoices.insert(issued)
            return (issued, ids)
        }
    }
}
