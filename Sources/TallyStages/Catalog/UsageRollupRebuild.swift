import TallyCore
import TallyStore

/// Aggregates usage rollups anew from the stored events, when what they are bucketed or
/// aggregated by changed: a metric's filter keys or aggregation, or a customer's billing
/// timezone. The events are bucketed exactly as ingest buckets them (`MonthlyUsage`,
/// `ValidatedEvent.propertiesJSON(only:)`).
enum UsageRollupRebuild {
    /// A rebuilt bucket's units exceed 38 digits, or a subscription's timezone is unknown here.
    struct Unsummable: Error, CustomStringConvertible {
        let description: String
    }

    /// Replaces the rollups of the metrics `codes` and of the subscriptions `subscriptionIds`,
    /// inside the caller's transaction; `catalog` is the catalog as it now is.
    static func rebuild(codes: [String], subscriptionIds: [Int64], catalog: StoredCatalog, store: Store) throws {
        let ingestCatalog = catalog.ingestCatalog
        var usage = MonthlyUsage(timezones: Dictionary(
            ingestCatalog.allSubscriptions.map { ($0.id, $0.billingTimezone) }, uniquingKeysWith: { $1 }),
            metrics: ingestCatalog.metrics)
        try store.events.forEachEvent(codes: codes, subscriptionIds: subscriptionIds) { event, arrival in
            guard let metric = ingestCatalog.metrics[event.code] else { return }
            guard usage.add(event, filterValues: event.propertiesJSON(only: metric.filterValues), arrival: arrival) else {
                throw Unsummable(description: "cannot rebuild the usage of subscription id \(event.subscriptionId), metric \(event.code): its timezone is unknown here, or its units exceed 38 digits")
            }
        }
        try store.usage.replace(codes: codes, subscriptionIds: subscriptionIds, with: usage)
    }
}
