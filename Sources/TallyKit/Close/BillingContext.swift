import Foundation
import TallyCore

/// The catalog as period close sees it: customers with their subscriptions, plans and metrics,
/// read from the store once per run.
struct BillingContext {
    struct CustomerRecord {
        let id: Int64
        let sequentialId: Int
        let definition: Customer
        /// The customer's timezone, else the organization's, else UTC (SPEC §4).
        let timezone: String
    }

    struct SubscriptionRecord {
        let id: Int64
        let customerId: Int64
        let definition: Subscription
        let plan: Plan
        let startedAt: UTCInstant
        let endingAt: UTCInstant?

        /// Whether the subscription is live at some instant of `period`.
        func isActive(in period: BillingPeriod) -> Bool {
            startedAt <= period.to && (endingAt.map { $0 >= period.from } ?? true)
        }
    }

    let documentNumberPrefix: String
    let customers: [CustomerRecord]
    let subscriptionsByCustomer: [Int64: [SubscriptionRecord]]
    let metrics: [String: BillableMetric]

    static func load(from connection: PostgresConnection) throws -> BillingContext {
        let decoder = JSONDecoder()
        func decode<T: Decodable>(_ type: T.Type, _ text: String?) throws -> T {
            try decoder.decode(type, from: Data(text!.utf8))
        }
        let organization = try connection.execute("SELECT definition::text FROM organization").scalar
            .map { try decode(Organization.self, $0) }
        let prefix = organization?.documentNumberPrefix ?? "INV"
        let defaultZone = organization?.timezone ?? "UTC"

        let customers = try connection.execute("SELECT id, sequential_id, definition::text FROM customers ORDER BY sequential_id").rows.map { row in
            let customer = try decode(Customer.self, row[2])
            return CustomerRecord(id: Int64(row[0]!)!, sequentialId: Int(row[1]!)!, definition: customer,
                                  timezone: customer.timezone ?? defaultZone)
        }
        var plans: [String: Plan] = [:]
        for row in try connection.execute("SELECT id, definition::text FROM plans").rows {
            plans[row[0]!] = try decode(Plan.self, row[1])
        }
        var subscriptions: [Int64: [SubscriptionRecord]] = [:]
        for row in try connection.execute("""
            SELECT s.id, s.customer_id, s.definition::text, s.plan_id,
                   (extract(epoch FROM s.started_at) * 1000000)::bigint, (extract(epoch FROM s.ending_at) * 1000000)::bigint
            FROM subscriptions s ORDER BY s.id
            """).rows {
            let record = SubscriptionRecord(
                id: Int64(row[0]!)!, customerId: Int64(row[1]!)!,
                definition: try decode(Subscription.self, row[2]), plan: plans[row[3]!]!,
                startedAt: UTCInstant(microsecondsSinceEpoch: Int64(row[4]!)!),
                endingAt: row[5].map { UTCInstant(microsecondsSinceEpoch: Int64($0)!) })
            subscriptions[record.customerId, default: []].append(record)
        }
        var metrics: [String: BillableMetric] = [:]
        for row in try connection.execute("SELECT definition::text FROM billable_metrics").rows {
            let metric = try decode(BillableMetric.self, row[0])
            metrics[metric.code] = metric
        }
        return BillingContext(documentNumberPrefix: prefix, customers: customers,
                              subscriptionsByCustomer: subscriptions, metrics: metrics)
    }
}
