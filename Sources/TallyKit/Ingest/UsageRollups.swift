/// The daily usage rollups (`event_rollups`): per subscription, metric, day and the values of the
/// metric's filter keys, the summed units and the event count. The day is the calendar date in
/// the customer's billing timezone (customer, else organization, else UTC), so a billing month is
/// exactly a run of days. Ingest adds to them in the transaction that stores the events; period
/// close reads them instead of the raw events.
enum UsageRollups {
    /// The rollup key of an event row `e` of metric row `m`, subscription `s` and customer `c`.
    private static let bucket = """
        (e."timestamp" AT TIME ZONE coalesce(c.timezone, (SELECT timezone FROM organization), 'UTC'))::date,
        coalesce((SELECT jsonb_object_agg(p.key, p.value) FROM jsonb_each(e.properties) p
                  WHERE p.key = ANY (m.filter_keys)), '{}')
        """

    /// Adds the events accepted by the current ingest (rows of `classified`) to the rollups.
    static func addAccepted(_ connection: PostgresConnection) throws {
        try connection.execute("""
            INSERT INTO event_rollups (subscription_id, code, day, filter_values, units, events_count)
            SELECT e.subscription_id, e.code, \(bucket), sum(e.units), count(*)
            FROM classified e JOIN billable_metrics m ON m.code = e.code
            JOIN subscriptions s ON s.id = e.subscription_id JOIN customers c ON c.id = s.customer_id
            WHERE e.outcome = 'accepted'
            GROUP BY 1, 2, 3, 4
            ON CONFLICT (subscription_id, code, day, filter_values) DO UPDATE
            SET units = event_rollups.units + excluded.units,
                events_count = event_rollups.events_count + excluded.events_count
            """)
    }

    /// Recomputes the rollups of the events matching `condition` (on `e`, the events table), after
    /// a metric's filter keys or a customer's timezone changed.
    static func rebuild(where condition: String, _ parameters: [String?], _ connection: PostgresConnection) throws {
        try connection.execute("""
            DELETE FROM event_rollups r WHERE EXISTS (
                SELECT 1 FROM events e WHERE e.subscription_id = r.subscription_id AND e.code = r.code AND \(condition))
            """, parameters)
        try connection.execute("""
            INSERT INTO event_rollups (subscription_id, code, day, filter_values, units, events_count)
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
            SELECT s.id, coalesce(c.timezone, (SELECT timezone FROM organization), 'UTC')
            FROM subscriptions s JOIN customers c ON c.id = s.customer_id
            """).rows {
            zones[row[0]!] = row[1]!
        }
        return zones
    }
}
