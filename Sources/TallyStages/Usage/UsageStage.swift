import TallyCore
import TallyStore

/// Why `tally usage` cannot answer.
public struct UsageError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable {
        /// No such customer, or a subscription that is not the customer's: bad usage.
        case unknown
        /// The customer has no subscription active at the instant asked about.
        case nothingActive
        /// A figure of the usage has no exact billable value.
        case cannotRate
    }

    public let kind: Kind
    public let description: String
}

/// `tally usage`: a customer's usage in the period containing an instant, rated exactly as close will
/// rate it, as Lago's `customer_usage` object (docs/BILLING.md, invoices).
///
/// Every stored event of the period counts, late ones included, whether before or after the instant;
/// the subscriptions shown are those active at the instant. Reads only.
public struct UsageStage {
    let store: Store

    public init(database: TallyDatabase) {
        self.store = database.store
    }

    /// The usage of `externalId` (only its subscription `subscription`, when given) in the period that
    /// contains `asOf` in the customer's timezone.
    public func usage(customer externalId: String, subscription: String? = nil, asOf: UTCInstant) throws -> CustomerUsageDocument {
        let catalog = try store.catalog.load()
        guard let customer = catalog.customer(externalId: externalId) else {
            throw UsageError(kind: .unknown, description: "no customer with external_id \"\(externalId)\"")
        }
        guard let period = BillingPeriod.containing(asOf, timezone: customer.billingTimezone) else {
            throw UsageError(kind: .unknown, description: "customer \"\(externalId)\" has an unknown timezone \"\(customer.billingTimezone)\"")
        }
        let subscriptions = try Self.subscriptions(of: customer, named: subscription, catalog: catalog)
        let active = subscriptions.filter { $0.isLive(at: asOf) }
        guard let first = active.first else {
            let lives = subscriptions.map { "\($0.externalId) \($0.lifetime)" }.joined(separator: ", ")
            throw UsageError(kind: .nothingActive, description: "customer \"\(externalId)\" has no subscription active at \(asOf)"
                + (lives.isEmpty ? "" : " (\(lives))"))
        }

        let usage = try store.usage.buckets(subscriptionIds: active.map(\.id), month: period.calendarMonth,
                                            recurringCodes: catalog.recurringMetricCodes)
        let events = try CloseStage.eventValues(of: active, period: period, catalog: catalog, store: store)
        if let (id, reason) = usage.unreadable.first, let subscription = catalog.subscription(id: id) {
            throw UsageError(kind: .cannotRate, description: "subscription \(subscription.externalId): \(reason)")
        }
        var charges: [ChargeUsage] = []
        for subscription in active {
            let plan = subscription.ratedPlan
            for (charge, chargeLagoId) in zip(plan.charges, subscription.plan.chargeLagoIds) {
                guard let metric = catalog.metrics[charge.billableMetricCode] else {
                    // Catalog apply refuses a charge on an unknown metric and never deletes one.
                    throw UsageError(kind: .unknown, description: "plan \(plan.code) charges metric \(charge.billableMetricCode), which is not stored")
                }
                let window = SubscriptionRating.chargesWindow(
                    period: period, startedAt: subscription.startedAt, endingAt: subscription.endingAt)
                charges.append(try Self.rated(ChargeUsage(
                    charge: charge, usage: usage.buckets[subscription.id] ?? [], events: events[subscription.id] ?? [],
                    aggregation: UsageAggregation(metric: metric.definition, period: period, from: window.from, to: window.to),
                    currency: plan.currency,
                    externalSubscriptionId: subscription.externalId, chargeLagoId: chargeLagoId,
                    metric: ChargeUsage.Metric(lagoId: metric.lagoId, name: metric.definition.name, code: metric.definition.code,
                                               aggregationType: metric.definition.aggregationType.rawValue))))
            }
        }
        return try Self.rated(CustomerUsageDocument(
            period: period, currency: customer.definition.currency ?? first.plan.definition.currency, charges: charges))
    }

    /// `body`'s value, a `BillingError` turned into the usage command's own error.
    private static func rated<T>(_ body: @autoclosure () throws(BillingError) -> T) throws(UsageError) -> T {
        do {
            return try body()
        } catch {
            throw UsageError(kind: .cannotRate, description: error.description)
        }
    }

    /// The customer's subscriptions, or just the one named, which must be the customer's.
    private static func subscriptions(
        of customer: StoredCatalog.CustomerRecord, named externalId: String?, catalog: StoredCatalog
    ) throws -> [StoredCatalog.SubscriptionRecord] {
        let owned = catalog.subscriptions(of: customer)
        guard let externalId else { return owned }
        let matches = owned.filter { $0.externalId == externalId }
        if !matches.isEmpty { return matches }
        let owner = catalog.subscriptions.first { $0.externalId == externalId }
        throw UsageError(kind: .unknown, description: owner == nil
            ? "no subscription with external_id \"\(externalId)\""
            : "subscription \"\(externalId)\" is not one of customer \"\(customer.externalId)\"'s subscriptions")
    }
}
