import Foundation
import TallyCore

/// Why `tally usage` cannot answer: an unknown customer or subscription, or nothing to bill.
public struct UsageError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable { case unknown, nothingActive }
    public let kind: Kind
    public let description: String
}

/// `tally usage`: a customer's usage in the open period, rated as close would rate it, as Lago's
/// `customer_usage` object (SPEC §10). Charges only: the subscription fee is billed at close.
public struct CustomerUsage {
    let connection: PostgresConnection

    public init(connection: PostgresConnection) { self.connection = connection }

    public func document(customer externalId: String, subscription: String?, asOf: UTCInstant) throws -> JSONValue {
        let context = try BillingContext.load(from: connection)
        guard let customer = context.customers.first(where: { $0.definition.externalId == externalId }) else {
            throw UsageError(kind: .unknown, description: "no customer with external_id \"\(externalId)\"")
        }
        guard let period = BillingPeriod.containing(asOf, timezone: customer.timezone) else {
            throw UsageError(kind: .unknown, description: "customer \"\(externalId)\" has an unknown timezone \(customer.timezone)")
        }
        var subscriptions = context.activeSubscriptions(of: customer, in: period).filter { $0.startedAt <= asOf }
        if let subscription {
            guard (context.subscriptionsByCustomer[customer.id] ?? []).contains(where: { $0.definition.externalId == subscription }) else {
                throw UsageError(kind: .unknown, description: "customer \"\(externalId)\" has no subscription \"\(subscription)\"")
            }
            subscriptions = subscriptions.filter { $0.definition.externalId == subscription }
        }
        guard let first = subscriptions.first else {
            throw UsageError(kind: .nothingActive, description: "customer \"\(externalId)\" has no subscription active at \(asOf)")
        }
        let usage = try UsageQuery.buckets(subscriptionIds: subscriptions.map(\.id), period: period, connection: connection)
        let currency = customer.definition.currency ?? first.plan.currency
        let metricIds = Dictionary(uniqueKeysWithValues: try connection.execute("SELECT code, lago_id::text FROM billable_metrics").rows.map { ($0[0]!, $0[1]!) })

        var charges: [JSONValue] = []
        var total: Int64 = 0
        for subscription in subscriptions {
            for (index, charge) in subscription.plan.charges.enumerated() {
                let metric = context.metrics[charge.billableMetricCode]
                let buckets = (usage[subscription.id] ?? []).filter { $0.code == charge.billableMetricCode }
                var units = Array(repeating: ExactDecimal.zero, count: charge.filters.count + 1)
                var counts = Array(repeating: 0, count: charge.filters.count + 1)
                for bucket in buckets {
                    let slot = FilterMatcher.match(bucket.filterValues, filters: charge.filters) ?? charge.filters.count
                    units[slot] = units[slot] + bucket.units
                    counts[slot] += bucket.eventsCount
                }
                let rated = units.indices.map { slot in
                    PackageRating.rate(units: units[slot], eventsCount: counts[slot],
                                       properties: slot < charge.filters.count ? charge.filters[slot].properties : charge.properties,
                                       currency: subscription.plan.currency)
                }
                let filters: [JSONValue] = charge.filters.enumerated().map { slot, filter in
                    .object(JSONObject([
                        ("invoice_display_name", filter.invoiceDisplayName.map(JSONValue.string) ?? .null),
                        ("values", .object(JSONObject(filter.values.map { ($0.key, .array($0.values.map { .string($0) })) }))),
                        ("units", .string(rated[slot].units.description)),
                        ("total_aggregated_units", .string(rated[slot].units.description)),
                        ("amount_cents", .number(String(rated[slot].amountCents))),
                        ("events_count", .number(String(rated[slot].eventsCount))),
                    ]))
                }
                let chargeUnits = units.reduce(ExactDecimal.zero, +)
                let chargeCents = rated.reduce(Int64(0)) { $0 + $1.amountCents }
                total += chargeCents
                let chargeId = try connection.execute(
                    "SELECT md5(lago_id::text || ':' || $2)::uuid::text FROM plans WHERE code = $1",
                    [subscription.plan.code, String(index)]).scalar ?? ""
                charges.append(.object(JSONObject([
                    ("units", .string(chargeUnits.description)),
                    ("total_aggregated_units", .string(chargeUnits.description)),
                    ("events_count", .number(String(counts.reduce(0, +)))),
                    ("amount_cents", .number(String(chargeCents))),
                    ("amount_currency", .string(subscription.plan.currency)),
                    ("charge", .object(JSONObject([
                        ("lago_id", .string(chargeId)), ("charge_model", "package"),
                        ("invoice_display_name", charge.invoiceDisplayName.map(JSONValue.string) ?? .null),
                    ]))),
                    ("billable_metric", .object(JSONObject([
                        ("lago_id", .string(metricIds[charge.billableMetricCode] ?? "")),
                        ("name", .string(metric?.name ?? charge.billableMetricCode)),
                        ("code", .string(charge.billableMetricCode)), ("aggregation_type", "sum_agg"),
                    ]))),
                    ("filters", .array(filters)),
                    ("grouped_usage", []),
                ])))
            }
        }
        return .object(JSONObject([
            ("from_datetime", .string(Self.seconds(period.from))),
            ("to_datetime", .string(Self.seconds(period.to))),
            ("issuing_date", .string(period.next.from.localDate(in: period.timezone))),
            ("lago_invoice_id", .null),
            ("currency", .string(currency)),
            ("amount_cents", .number(String(total))),
            ("taxes_amount_cents", 0),
            ("total_amount_cents", .number(String(total))),
            ("charges_usage", .array(charges)),
        ]))
    }

    /// Lago's timestamps have whole seconds: 2026-11-01T03:59:59Z.
    private static func seconds(_ instant: UTCInstant) -> String {
        UTCInstant(microsecondsSinceEpoch: instant.microsecondsSinceEpoch / 1_000_000 * 1_000_000).description
    }
}
