/// The hourly usage rollups (`event_rollups`): per subscription, metric, UTC hour and the values
/// of the metric's filter keys, the summed units and the event count. Ingest adds to them in the
/// transaction that stores the events; period close reads them instead of the raw events.
enum UsageRollups {
    /// The rollup bucket of an event row `e` of metric row `m`: its filter-key properties.
    private static let filterValues = """
        coalesce((SELECT jsonb_object_agg(p.key, p.value) FROM jsonb_each(e.properties) p
                  WHERE p.key = ANY (m.filter_keys)), '{}')
        """

    /// Adds the events accepted by the current ingest (rows of `classified`) to the rollups.
    static func addAccepted(_ connection: PostgresConnection) throws {
        try connection.execute("""
            INSERT INTO event_rollups (subscription_id, code, hour, filter_values, units, events_count)
            SELECT e.subscription_id, e.code, date_trunc('hour', e."timestamp"), \(filterValues), sum(e.units), count(*)
            FROM classified e JOIN billable_metrics m ON m.code = e.code
            WHERE e.outcome = 'accepted'
            GROUP BY 1, 2, 3, 4
            ON CONFLICT (subscription_id, code, hour, filter_values) DO UPDATE
            SET units = event_rollups.units + excluded.units,
                events_count = event_rollups.events_count + excluded.events_count
            """)
    }

    /// Recomputes the rollups of one metric from its stored events (after its filter keys changed).
    static func rebuild(code: String, _ connection: PostgresConnection) throws {
        try connection.execute("DELETE FROM event_rollups WHERE code = $1", [code])
        try connection.execute("""
            INSERT INTO event_rollups (subscription_id, code, hour, filter_values, units, events_count)
            SELECT e.subscription_id, e.code, date_trunc('hour', e."timestamp"), \(filterValues), sum(e.units), count(*)
            FROM events e JOIN billable_metrics m ON m.code = e.code
            WHERE e.code = $1
            GROUP BY 1, 2, 3, 4
            """, [code])
    }
}
