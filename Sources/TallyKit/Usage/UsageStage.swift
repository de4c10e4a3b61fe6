import TallyCore

/// Why `tally usage` cannot answer.
public struct UsageError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable {
        /// No such customer, or a subscription that is not the customer's: bad usage.
        case unknown
        /// The customer has no subscription active at the instant asked about.
        case nothingActive
    }

    public let kind: Kind
    public let description: String
}

/// `tally usage`: a customer's usage in the period containing an instant, rated exactly as close will
/// rate it, as Lago's `customer_usage` object (SPEC §10).
///
/// Every stored event of the period counts, late ones included, whether before or after the instant;
/// the subscriptions shown are those active at the instant. Reads only.
public struct UsageStage {
    let connection: PostgresConnection

    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// The usage of `externalId` (only its subscription `subscription`, when given) in the period that
    /// contains `asOf` in the customer's timezone.
    public func usage(customer externalId: String, subscription: String? = nil, asOf: UTCInstant) throws -> CustomerUsageDocument {
        let context = try BillingContext.load(from: connection)
        guard let customer = context.customers.first(where: { $0.definition.externalId == externalId }) else {
            throw UsageError(kind: .unknown, description: "no customer with external_id \"\(externalId)\"")
        }
        guard let period = BillingPeriod.containing(asOf, timezone: customer.timezone) else {
            throw UsageError(kind: .unknown, description: "customer \"\(externalId)\" has an unknown timezone \"\(customer.timezone)\"")
        }
        let subscriptions = try Self.subscriptions(of: customer, named: subscription, context: context)
        let active = subscriptions.filter { $0.isLive(at: asOf) }
        guard !active.isEmpty else {
            let lives = subscriptions.map { "\($0.definition.externalId) \($0.lifetime)" }.joined(separator: ", ")
            throw UsageError(kind: .nothingActive, description: "customer \"\(externalId)\" has no subscription active at \(asOf)"
                + (lives.isEmpty ? "" : " (\(lives))"))
        }

        let usage = try UsageQuery.buckets(subscriptionIds: active.map(\.id), period: period, connection: connection)
        let chargeIds = try chargeLagoIds(of: active)
        let metricIds = try metricLagoIds()
        let charges = active.flatMap { subscription in
            subscription.plan.charges.enumerated().map { index, charge in
                guard let definition = context.metrics[charge.billableMetricCode],
                      let metricId = metricIds[charge.billableMetricCode],
                      let chargeId = chargeIds[subscription.id]?[index]
                else {
                    // Catalog apply refuses a charge on an unknown metric and never deletes one.
                    preconditionFailure("plan \(subscription.plan.code) charges metric \(charge.billableMetricCode), which is not stored")
                }
                return ChargeUsage(
                    charge: charge, usage: usage[subscription.id] ?? [], currency: subscription.plan.currency,
                    externalSubscriptionId: subscription.definition.externalId, chargeLagoId: chargeId,
                    metric: ChargeUsage.Metric(lagoId: metricId, name: definition.name, code: definition.code,
                                               aggregationType: definition.aggregationType.rawValue))
            }
        }
        return CustomerUsageDocument(
            period: period, currency: customer.definition.currency ?? active[0].plan.currency, charges: charges)
    }

    /// The customer's subscriptions, or just the one named, which must be the customer's.
    private static func subscriptions(
        of customer: BillingContext.CustomerRecord, named externalId: String?, context: BillingContext
    ) throws -> [BillingContext.SubscriptionRecord] {
        let owned = context.subscriptionsByCustomer[customer.id] ?? []
        guard let externalId else { return owned }
        if let match = owned.first(where: { $0.definition.externalId == externalId }) { return [match] }
        let owner = context.subscriptionsByCustomer.values.joined().first { $0.definition.externalId == externalId }
        let customerId = customer.definition.externalId
        throw UsageError(kind: .unknown, description: owner == nil
            ? "no subscription with external_id \"\(externalId)\""
            : "subscription \"\(externalId)\" is not one of customer \"\(customerId)\"'s subscriptions")
    }

    /// Each charge's Lago id by subscription, in plan order: a UUID derived from the plan's `lago_id`
    /// and the charge's index, so it stays the same from one call to the next.
    private func chargeLagoIds(of subscriptions: [BillingContext.SubscriptionRecord]) throws -> [Int64: [String]] {
        let most = subscriptions.map(\.plan.charges.count).max() ?? 0
        var ids: [Int64: [String]] = [:]
        for row in try connection.execute("""
            SELECT s.id, md5(p.lago_id::text || ':' || i)::uuid::text
            FROM subscriptions s JOIN plans p ON p.id = s.plan_id CROSS JOIN generate_series(0, $2::int - 1) i
            WHERE s.id = ANY ($1::bigint[])
            ORDER BY s.id, i
            """, [PostgresArray.bigint(subscriptions.map(\.id)), String(most)]).rows {
            ids[Int64(row[0]!)!, default: []].append(row[1]!)
        }
        return ids
    }

    private func metricLagoIds() throws -> [String: String] {
        Dictionary(uniqueKeysWithValues: try connection.execute("SELECT code, lago_id::text FROM billable_metrics").rows.map {
            ($0[0]!, $0[1]!)
        })
    }
}

extension BillingContext.SubscriptionRecord {
    /// Whether the subscription has started and not yet ended at `instant` (both ends inclusive).
    func isLive(at instant: UTCInstant) -> Bool {
        startedAt <= instant && (endingAt.map { instant <= $0 } ?? true)
    }

    /// "from … until …", for messages.
    var lifetime: String {
        "from \(startedAt)" + (endingAt.map { " until \($0)" } ?? "")
    }
}
