import Testing
import TallyCore

/// Catalog, invoice and period values built by hand, for the suites that test documents and
/// invoice logic without a database.
///
/// Store ids are chosen so that no order coincides with another: subscription 100 is `sub-b` and
/// 101 is `sub-a`, so sorting by id and sorting by external id disagree.
enum HandBuilt {
    static let acmeId: Int64 = 1
    static let globexId: Int64 = 2
    static let proPlanId: Int64 = 10
    static let subBId: Int64 = 100
    static let subAId: Int64 = 101
    static let subCId: Int64 = 102

    static func decimal(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> ExactDecimal {
        try #require(ExactDecimal(decimalString: text), sourceLocation: sourceLocation)
    }

    static func instant(
        _ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0, _ minute: Int = 0, _ second: Int = 0,
        microsecond: Int = 0, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> UTCInstant {
        try #require(UTCInstant(year: year, month: month, day: day, hour: hour, minute: minute, second: second,
                                microsecond: microsecond), sourceLocation: sourceLocation)
    }

    static func period(_ year: Int, _ month: Int, _ timezone: String = "UTC",
                       sourceLocation: SourceLocation = #_sourceLocation) throws -> BillingPeriod {
        try #require(BillingPeriod(year: year, month: month, timezone: timezone), sourceLocation: sourceLocation)
    }

    static let tokens = BillableMetric(
        code: "ai_tokens", name: "AI tokens", fieldName: "tokens",
        filters: [MetricFilter(key: "model", values: ["small", "large"]), MetricFilter(key: "type", values: ["input", "output"])])

    /// `type` before `model`: not the metric's order and not alphabetical, so a writer that sorts shows.
    static let smallInput = [FilterCondition(key: "type", values: ["input"]), FilterCondition(key: "model", values: ["small"])]

    /// $100 a month; tokens at $1 per started million, $2 per million for small-input.
    static func proPlan() throws -> Plan {
        Plan(code: "pro", name: "Pro", amountCents: 10_000, currency: "USD", charges: [
            Charge(billableMetricCode: "ai_tokens",
                   properties: .package(PackageProperties(amount: ExactDecimal(1), packageSize: ExactDecimal(1_000_000))),
                   filters: [ChargeFilter(invoiceDisplayName: "small-input",
                                          properties: .package(PackageProperties(amount: ExactDecimal(2), packageSize: ExactDecimal(1_000_000))),
                                          values: smallInput)]),
        ])
    }

    struct SubscriptionSpec {
        var id: Int64
        var externalId: String
        var customerId: Int64
        var planId: Int64 = HandBuilt.proPlanId
        var startedAt: UTCInstant
        var endingAt: UTCInstant? = nil
    }

    /// Acme (id 1, New York) holds `sub-b` (100) and `sub-a` (101); Globex (id 2, no timezone of its
    /// own) holds `sub-c` (102). The organization is Mistral AI (prefix MIS) in Europe/Paris.
    static func catalog(
        organization: Organization? = Organization(name: "Mistral AI", timezone: "Europe/Paris"),
        subscriptions: [SubscriptionSpec]? = nil
    ) throws -> StoredCatalog {
        let created = try instant(2026, 9, 1, 8, 0, 0, microsecond: 250_000)
        let updated = try instant(2026, 9, 2, 9, 30, 15, microsecond: 999_999)
        let started = try instant(2026, 9, 1)
        let specs = subscriptions ?? [
            SubscriptionSpec(id: subBId, externalId: "sub-b", customerId: acmeId, startedAt: started),
            SubscriptionSpec(id: subAId, externalId: "sub-a", customerId: acmeId, startedAt: started),
            SubscriptionSpec(id: subCId, externalId: "sub-c", customerId: globexId, startedAt: started),
        ]
        let customers = [
            Customer(externalId: "acme", name: "Acme", email: "billing@acme.test", currency: "USD", timezone: "America/New_York"),
            Customer(externalId: "globex", name: "Globex"),
        ]
        let externalCustomerIds = [acmeId: "acme", globexId: "globex"]
        return try StoredCatalog(
            organization: organization,
            metrics: [StoredCatalog.Metric(lagoId: "metric-tokens", definition: tokens)],
            plans: [StoredCatalog.PlanRecord(id: proPlanId, lagoId: "plan-pro", definition: try proPlan(),
                                             chargeLagoIds: ["charge-pro-0"])],
            customers: [
                (id: acmeId, lagoId: "cust-acme", sequentialId: 1, definition: customers[0], createdAt: created, updatedAt: updated),
                (id: globexId, lagoId: "cust-globex", sequentialId: 2, definition: customers[1], createdAt: created, updatedAt: updated),
            ],
            subscriptions: specs.map { spec in
                StoredCatalog.SubscriptionRow(
                    id: spec.id, lagoId: "lago-\(spec.externalId)", customerId: spec.customerId, planId: spec.planId,
                    definition: Subscription(externalId: spec.externalId,
                                             externalCustomerId: externalCustomerIds[spec.customerId] ?? "nobody",
                                             planCode: "pro", subscriptionAt: spec.startedAt, endingAt: spec.endingAt),
                    startedAt: spec.startedAt, endingAt: spec.endingAt, createdAt: created)
            },
            wallets: [])
    }
}

extension JSONValue {
    /// The elements of an array; nil for any other value.
    var arrayElements: [JSONValue]? {
        if case .array(let elements) = self { return elements }
        return nil
    }
}
