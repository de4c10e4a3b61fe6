import TallyCore
import TallyPostgres

/// The monthly usage rollups (`event_rollups`): per subscription, metric, calendar month in the
/// customer's billing timezone and the values of the metric's filter keys, the summed units and
/// the event count. Ingest adds to them in the transaction that stores the events; close and usage
/// read them instead of the raw events. The month of an event is never computed here: callers
/// bucket events with `MonthlyUsage` and hand over the buckets.
public struct UsageStore {
    let connection: PostgresConnection

    // MARK: Adding an export's usage

    /// Adds usage summed while an export was read (every event of it accepted) to the rollups.
    public func add(_ usage: MonthlyUsage) throws {
        try createFileRollups()
        try copy(usage, into: "file_rollups")
        try addFileRollups()
    }

    /// Adds the events the staged load accepted (the rows left in `staging`, each with its
    /// bucket) to the rollups.
    public func addStaged() throws {
        try createFileRollups()
        try connection.execute("""
            INSERT INTO file_rollups
            SELECT subscription_id, code, month, filter_values, sum(units), count(*)
            FROM staging GROUP BY 1, 2, 3, 4
            """)
        try addFileRollups()
    }

    /// The current ingest's buckets, whichever way they were summed; `latePeriods` reads them too.
    private func createFileRollups() throws {
        try connection.execute("""
            CREATE TEMP TABLE file_rollups (
                subscription_id bigint NOT NULL, code text NOT NULL, month date NOT NULL,
                filter_values jsonb NOT NULL, units numeric NOT NULL, events_count bigint NOT NULL
            ) ON COMMIT DROP
            """)
    }

    /// Adds `file_rollups` to the rollups, in key order.
    private func addFileRollups() throws {
        try connection.execute("""
            INSERT INTO event_rollups (subscription_id, code, month, filter_values, units, events_count)
            SELECT * FROM file_rollups ORDER BY 1, 2, 3, 4
            ON CONFLICT (subscription_id, code, month, filter_values) DO UPDATE
            SET units = event_rollups.units + excluded.units,
                events_count = event_rollups.events_count + excluded.events_count
            """)
    }

    /// The periods already invoiced (not voided) that the usage the current ingest added falls
    /// in: its events are stored, and billed when that period is reprocessed.
    public func latePeriods() throws -> [LatePeriod] {
        struct Row: Decodable { let customer: String; let period: String; let events: Int }
        return try connection.query("""
            SELECT c.external_id AS customer, i.period, sum(r.events_count) AS events
            FROM file_rollups r
            JOIN subscriptions s ON s.id = r.subscription_id
            JOIN customers c ON c.id = s.customer_id
            JOIN invoices i ON i.customer_id = s.customer_id AND i.status <> 'voided' AND i.period = to_char(r.month, 'YYYY-MM')
            GROUP BY c.external_id, i.period ORDER BY i.period, c.external_id
            """, as: Row.self).map { LatePeriod(customer: $0.customer, period: $0.period, events: $0.events) }
    }

    /// Late events recorded by ingests that started after the live invoice of their period was
    /// issued: those periods are due for reprocessing.
    public func lateSinceInvoiced() throws -> [LatePeriod] {
        struct Row: Decodable { let customer: String; let period: String; let events: Int }
        return try connection.query("""
            SELECT late ->> 'customer' AS customer, late ->> 'period' AS period, sum((late ->> 'events')::bigint) AS events
            FROM ingests g CROSS JOIN jsonb_array_elements(g.late_periods) late
            JOIN customers c ON c.external_id = late ->> 'customer'
            JOIN invoices i ON i.customer_id = c.id AND i.period = late ->> 'period' AND i.status <> 'voided'
            WHERE g.started_at > i.created_at
            GROUP BY 1, 2 ORDER BY 2, 1
            """, as: Row.self).map { LatePeriod(customer: $0.customer, period: $0.period, events: $0.events) }
    }

    // MARK: Rebuilding

    /// Replaces the rollups of the metrics `codes` and of the subscriptions `subscriptionIds` by
    /// `usage`, summed anew from their stored events (after a metric's filter keys or a customer's
    /// timezone changed).
    public func replace(codes: [String], subscriptionIds: [Int64], with usage: MonthlyUsage) throws {
        try connection.execute(
            "DELETE FROM event_rollups WHERE code = ANY ($1::text[]) OR subscription_id = ANY ($2::bigint[])",
            [codes, subscriptionIds])
        try copy(usage, into: "event_rollups")
    }

    private func copy(_ usage: MonthlyUsage, into table: StaticString) throws {
        try connection.copyIn("COPY \(table) (subscription_id, code, month, filter_values, units, events_count) FROM STDIN") { copy in
            for (key, total) in usage.totals {
                try copy.writeRow([key.subscriptionId, key.code, key.month.firstDay, key.filterValues, total.units, total.events])
            }
        }
    }

    // MARK: Reading

    /// The usage of some subscriptions in one month: buckets by subscription id, and the
    /// subscriptions whose usage cannot be read exactly (a sum beyond 38 digits), with why.
    public struct MonthUsage: Sendable {
        public var buckets: [Int64: [UsageBucket]] = [:]
        public var unreadable: [Int64: String] = [:]

        public init() {}
    }

    /// The usage buckets of each subscription in `subscriptionIds` for the calendar month `month`
    /// (in each subscription's billing timezone). A bucket that cannot be read makes its
    /// subscription unreadable, not the whole month.
    public func buckets(subscriptionIds: [Int64], month: CalendarMonth) throws -> MonthUsage {
        var usage = MonthUsage()
        guard !subscriptionIds.isEmpty else { return usage }
        struct Row: Decodable {
            let subscriptionId: Int64, code: String, filterValues: String, units: String, eventsCount: String
        }
        for row in try connection.query("""
            SELECT subscription_id, code, filter_values::text AS filter_values, sum(units)::text AS units,
                   sum(events_count)::text AS events_count
            FROM event_rollups
            WHERE subscription_id = ANY ($1::bigint[]) AND month = $2::date
            GROUP BY subscription_id, code, filter_values
            ORDER BY subscription_id, code, filter_values::text
            """, [subscriptionIds, month.firstDay], as: Row.self) {
            guard case .object(let object)? = try? JSONParser.parse(row.filterValues) else {
                usage.unreadable[row.subscriptionId] = "its usage of \(row.code) has filter values that are not an object"
                continue
            }
            guard let units = ExactDecimal(decimalString: row.units), let events = Int(row.eventsCount) else {
                usage.unreadable[row.subscriptionId] = "its usage of \(row.code) in \(month.label) (\(row.units) units, \(row.eventsCount) events) is beyond what Tally bills exactly (38 digits)"
                continue
            }
            var values: [String: String] = [:]
            for (key, value) in object.entries { values[key] = value.stringValue ?? value.serialized }
            usage.buckets[row.subscriptionId, default: []].append(UsageBucket(
                code: row.code, filterValues: values, units: units, eventsCount: events))
        }
        return usage
    }
}
