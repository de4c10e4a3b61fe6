import TallyCore

/// The monthly usage rollups (`event_rollups`): per subscription, metric, month and the values of
/// the metric's filter keys, the summed units and the event count. The month is the calendar month
/// in the customer's billing timezone (customer, else organization, else UTC), named by its first
/// day, so it is exactly a billing period. Ingest adds to them in the transaction that stores the
/// events; period close reads them instead of the raw events.
enum UsageRollups {
    /// The billing timezone of customer row `c`: its own, else the organization's, else UTC.
    static let billingTimezone = "coalesce(c.timezone, (SELECT timezone FROM organization), 'UTC')"

    /// The rollup key of an event row `e` of metric row `m`, subscription `s` and customer `c`.
    private static let bucket = """
        date_trunc('month', e."timestamp" AT TIME ZONE \(billingTimezone))::date,
        coalesce((SELECT jsonb_object_agg(p.key, p.value) FROM jsonb_each(e.properties) p
                  WHERE p.key = ANY (m.filter_keys)), '{}')
        """

    /// Adds the events accepted by the current ingest (the rows left in `staging`, whose
    /// `filter_values` ingest computed as `bucket` does) to the rollups.
    static func addAccepted(_ connection: PostgresConnection) throws {
        try createFileRollups(connection)
        try connection.execute("""
            INSERT INTO file_rollups
            SELECT e.subscription_id, e.code, date_trunc('month', e."timestamp" AT TIME ZONE z.timezone)::date,
                   e.filter_values, sum(e.units), count(*)
            FROM staging e JOIN (
                SELECT s.id, \(billingTimezone) AS timezone
                FROM subscriptions s JOIN customers c ON c.id = s.customer_id
            ) z ON z.id = e.subscription_id
            GROUP BY 1, 2, 3, 4
            """)
        try addFileRollups(connection)
    }

    /// Adds usage summed while an export was read (every event of it accepted) to the rollups.
    static func add(_ usage: MonthlyUsage, _ connection: PostgresConnection) throws {
        try createFileRollups(connection)
        try connection.copyIn("COPY file_rollups FROM STDIN") { copy in
            for (key, total) in usage.totals {
                try copy.writeRow([String(key.subscriptionId), key.code, key.month, key.filterValues,
                                   total.units.description, String(total.events)])
            }
        }
        try addFileRollups(connection)
    }

    /// The current ingest's buckets, whichever way they were summed; `latePeriods` reads them too.
    private static func createFileRollups(_ connection: PostgresConnection) throws {
        try connection.execute("""
            CREATE TEMP TABLE file_rollups (
                subscription_id bigint NOT NULL, code text NOT NULL, month date NOT NULL,
                filter_values jsonb NOT NULL, units numeric NOT NULL, events_count bigint NOT NULL
            ) ON COMMIT DROP
            """)
    }

    /// Adds `file_rollups` to the rollups, in key order.
    private static func addFileRollups(_ connection: PostgresConnection) throws {
        try connection.execute("""
            INSERT INTO event_rollups (subscription_id, code, month, filter_values, units, events_count)
            SELECT * FROM file_rollups ORDER BY 1, 2, 3, 4
            ON CONFLICT (subscription_id, code, month, filter_values) DO UPDATE
            SET units = event_rollups.units + excluded.units,
                events_count = event_rollups.events_count + excluded.events_count
            """)
    }

    /// The periods already invoiced (not voided) that the usage just added to `file_rollups` falls
    /// in (SPEC §3): its events are stored, and billed when that period is reprocessed.
    static func latePeriods(_ connection: PostgresConnection) throws -> [LatePeriod] {
        try connection.execute("""
            SELECT c.external_id, i.period, sum(r.events_count)
            FROM file_rollups r
            JOIN subscriptions s ON s.id = r.subscription_id
            JOIN customers c ON c.id = s.customer_id
            JOIN invoices i ON i.customer_id = s.customer_id AND i.status <> 'voided' AND i.period = to_char(r.month, 'YYYY-MM')
            GROUP BY c.external_id, i.period ORDER BY i.period, c.external_id
            """).rows.map { LatePeriod(customer: $0[0]!, period: $0[1]!, events: Int($0[2]!)!) }
    }

    /// Recomputes the rollups of the events matching `condition` (on `e`, the events table), after
    /// a metric's filter keys or a customer's timezone changed.
    static func rebuild(where condition: String, _ parameters: [String?], _ connection: PostgresConnection) throws {
        try connection.execute("""
            DELETE FROM event_rollups r WHERE EXISTS (
                SELECT 1 FROM events e WHERE e.subscription_id = r.subscription_id AND e.code = r.code AND \(condition))
            """, parameters)
        try connection.execute("""
            INSERT INTO event_rollups (subscription_id, code, month, filter_values, units, events_count)
            SELECT e.subscription_id, e.code, \(bucket), sum(e.units), count(*)
            FROM events e JOIN billable_metrics m ON m.code = e.code
            JOIN subscriptions s ON s.id = e.subscription_id JOIN customers c ON c.id = s.customer_id
            WHERE \(condition)
            GROUP BY 1, 2, 3, 4
            """, parameters)
    }

    /// Each subscription's billing timezone, to find the rollups a catalog change invalidates.
    static func subscriptionTimezones(_ connection: PostgresConnection) throws -> [String: String] {
        var zones: [String: String] = [:]
        for row in try connection.execute("""
            SELECT s.id, \(billingTimezone)
            FROM subscriptions s JOIN customers c ON c.id = s.customer_id
            """).rows {
            zones[row[0]!] = row[1]!
        }
        return zones
    }
}
