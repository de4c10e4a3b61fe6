import Foundation
import TallyCore

/// Reads from the store what validation needs: metrics and subscriptions.
enum IngestCatalogLoader {
    static func load(from connection: PostgresConnection) throws -> IngestCatalog {
        let decoder = JSONDecoder()
        let metrics = try connection.execute("SELECT definition::text FROM billable_metrics").rows.map { row in
            let metric = try decoder.decode(BillableMetric.self, from: Data(row[0]!.utf8))
            return IngestCatalog.Metric(
                code: metric.code, fieldName: metric.fieldName,
                filterValues: Dictionary(metric.filters.map { ($0.key, Set($0.values)) }, uniquingKeysWith: { $0.union($1) }))
        }
        let subscriptions = try connection.execute("""
            SELECT s.id, s.external_id,
                   (extract(epoch FROM s.started_at) * 1000000)::bigint,
                   (extract(epoch FROM s.ending_at) * 1000000)::bigint,
                   \(UsageRollups.billingTimezone)
            FROM subscriptions s JOIN customers c ON c.id = s.customer_id
            """).rows.map { row in
            IngestCatalog.Subscription(
                id: Int64(row[0]!)!, externalId: row[1]!,
                startedAt: UTCInstant(microsecondsSinceEpoch: Int64(row[2]!)!),
                endingAt: row[3].map { UTCInstant(microsecondsSinceEpoch: Int64($0)!) },
                billingTimezone: row[4]!)
        }
        return IngestCatalog(metrics: metrics, subscriptions: subscriptions)
    }
}
