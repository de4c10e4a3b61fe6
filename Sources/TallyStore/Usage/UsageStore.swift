import TallyCore
import TallyPostgres

/// The monthly usage rollups (`event_rollups`, and `event_unique_values` for unique counts): per
/// subscription, metric, calendar month in the customer's billing timezone and the values of the
/// metric's filter keys, what the metric's aggregation needs (`MonthlyUsage.Total`). Ingest adds to
/// them in the transaction that stores the events; close and usage read them instead of the raw
/// events. The month of an event is never computed here: callers
/// bucket events with `MonthlyUsage` and hand over the buckets.
public struct UsageStore {
    let connection: PostgresConnection

    // MARK: Adding an export's usage

    /// Adds usage aggregated while an export was read (every event of it accepted) to the rollups.
    public func add(_ usage: MonthlyUsage) throws {
        try createFileRollups()
        try copy(usage, rollupsInto: "file_rollups", uniquesInto: "file_unique_values")
        try addFileRollups()
    }

    /// Adds the events the staged load accepted (the rows left in `staging`, each with its
    /// bucket and what its aggregation needs) to the rollups, aggregated as `MonthlyUsage` does.
    public func addStaged() throws {
        try createFileRollups()
        try connection.execute("""
            INSERT INTO file_rollups
            SELECT subscription_id, code, month, filter_values, sum(units), count(*),
                   max(units) FILTER (WHERE aggregation = 'max_agg'),
                   (array_agg("timestamp" ORDER BY "timestamp" DESC, arrival DESC) FILTER (WHERE aggregation = 'latest_agg'))[1],
                   (array_agg(arrival ORDER BY "timestamp" DESC, arrival DESC) FILTER (WHERE aggregation = 'latest_agg'))[1],
                   (array_agg(units ORDER BY "timestamp" DESC, arrival DESC) FILTER (WHERE aggregation = 'latest_agg'))[1],
                   sum(units * micros_into_month) FILTER (WHERE aggregation = 'weighted_sum_agg')
            FROM staging GROUP BY 1, 2, 3, 4
            """)
        try connection.execute("""
            INSERT INTO file_unique_values
            SELECT DISTINCT ON (subscription_id, code, month, filter_values, unique_value)
                   subscription_id, code, month, filter_values, unique_value, "timestamp", arrival, unique_added
            FROM staging WHERE unique_value IS NOT NULL
            ORDER BY subscription_id, code, month, filter_values, unique_value, "timestamp" DESC, arrival DESC
            """)
        try addFileRollups()
    }

    /// The current ingest's buckets, whichever way they were aggregated; `latePeriods` reads them too.
    private func createFileRollups() throws {
        try connection.execute("""
            CREATE TEMP TABLE file_rollups (
                subscription_id bigint NOT NULL, code text NOT NULL, month date NOT NULL,
                filter_values jsonb NOT NULL, units numeric NOT NULL, events_count bigint NOT NULL,
                max_units numeric, latest_at timestamptz, latest_arrival bigint, latest_units numeric, weighted_micros numeric
            ) ON COMMIT DROP
            """)
        try connection.execute("""
            CREATE TEMP TABLE file_unique_values (
                subscription_id bigint NOT NULL, code text NOT NULL, month date NOT NULL, filter_values jsonb NOT NULL,
                value text NOT NULL, last_at timestamptz NOT NULL, last_arrival bigint NOT NULL, added boolean NOT NULL
            ) ON COMMIT DROP
            """)
    }

    /// Adds `file_rollups` and `file_unique_values` to the rollups, in key order: sums add up, the
    /// larger maximum stays, the later latest value and the later operation on a value win.
    private func addFileRollups() throws {
        try connection.execute("""
            INSERT INTO event_rollups AS r (subscription_id, code, month, filter_values, units, events_count,
                                            max_units, latest_at, latest_arrival, latest_units, weighted_micros)
            SELECT * FROM file_rollups ORDER BY 1, 2, 3, 4
            ON CONFLICT (subscription_id, code, month, filter_values) DO UPDATE
            SET units = r.units + excluded.units,
                events_count = r.events_count + excluded.events_count,
                max_units = greatest(r.max_units, excluded.max_units),
                latest_at = CASE WHEN r.latest_at IS NULL OR (excluded.latest_at, excluded.latest_arrival) > (r.latest_at, r.latest_arrival)
                                 THEN excluded.latest_at ELSE r.latest_at END,
                latest_arrival = CASE WHEN r.latest_at IS NULL OR (excluded.latest_at, excluded.latest_arrival) > (r.latest_at, r.latest_arrival)
                                      THEN excluded.latest_arrival ELSE r.latest_arrival END,
                latest_units = CASE WHEN r.latest_at IS NULL OR (excluded.latest_at, excluded.latest_arrival) > (r.latest_at, r.latest_arrival)
                                    THEN excluded.latest_units ELSE r.latest_units END,
                weighted_micros = CASE WHEN r.weighted_micros IS NULL AND excluded.weighted_micros IS NULL THEN NULL
                                       ELSE coalesce(r.weighted_micros, 0) + coalesce(excluded.weighted_micros, 0) END
            """)
        try connection.execute("""
            INSERT INTO event_unique_values AS u
            SELECT * FROM file_unique_values ORDER BY 1, 2, 3, 4, 5
            ON CONFLICT (subscription_id, code, month, filter_values, value) DO UPDATE
            SET last_at = excluded.last_at, last_arrival = excluded.last_arrival, added = excluded.added
            WHERE (excluded.last_at, excluded.last_arrival) > (u.last_at, u.last_arrival)
            """)
    }

    /// The periods already invoiced (not voided) that the usage the current ingest (`ingestId`)
    /// added falls in: its events are stored, and billed when that period is reprocessed. Calendar
    /// months are found from the rollups; dated periods (weekly plans, anniversary billing) from the
    /// ingest's events of `datedSubscriptionIds`, the subscriptions billed so.
    public func latePeriods(ingestId: Int64, datedSubscriptionIds: [Int64] = []) throws -> [LatePeriod] {
        struct Row: Decodable { let customer: String; let period: String; let events: Int }
        let months = try connection.query("""
            SELECT c.external_id AS customer, i.period, sum(r.events_count) AS events
            FROM file_rollups r
            JOIN subscriptions s ON s.id = r.subscription_id
                AND s.definition ->> 'billingTime' IS DISTINCT FROM 'anniversary'
            JOIN plans p ON p.id = s.plan_id AND p.definition ->> 'interval' <> 'weekly'
            JOIN customers c ON c.id = s.customer_id
            JOIN invoices i ON i.customer_id = s.customer_id AND i.status <> 'voided' AND i.period = to_char(r.month, 'YYYY-MM')
                AND i.starting_subscription_id IS NULL
            GROUP BY c.external_id, i.period ORDER BY i.period, c.external_id
            """, as: Row.self)
        guard !datedSubscriptionIds.isEmpty else { return months.map { LatePeriod(customer: $0.customer, period: $0.period, events: $0.events) } }
        struct Subscription: Decodable { let subscriptionId: Int64 }
        let dated = try connection.query("""
            SELECT DISTINCT subscription_id FROM file_rollups WHERE subscription_id = ANY ($1::bigint[])
            """, [datedSubscriptionIds], as: Subscription.self).map(\.subscriptionId)
        var days: [Row] = []
        if !dated.isEmpty {
            days = try connection.query("""
                WITH ingested AS MATERIALIZED (
                    SELECT subscription_id, "timestamp" FROM events WHERE subscription_id = ANY ($1::bigint[]) AND ingest_id = $2
                )
                SELECT c.external_id AS customer, i.period, count(*) AS events
                FROM ingested e
                JOIN invoice_subscriptions s ON s.subscription_id = e.subscription_id AND e."timestamp" BETWEEN s.charges_from AND s.charges_to
                JOIN invoices i ON i.id = s.invoice_id AND i.status <> 'voided' AND length(i.period) = 10
                JOIN customers c ON c.id = i.customer_id
                GROUP BY 1, 2
                """, [dated, ingestId], as: Row.self)
        }
        return (months + days).map { LatePeriod(customer: $0.customer, period: $0.period, events: $0.events) }
            .sorted { ($0.period, $0.customer) < ($1.period, $1.customer) }
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
                AND i.starting_subscription_id IS NULL
            WHERE g.started_at > i.created_at
            GROUP BY 1, 2 ORDER BY 2, 1
            """, as: Row.self).map { LatePeriod(customer: $0.customer, period: $0.period, events: $0.events) }
    }

    // MARK: Rebuilding

    /// Replaces the rollups of the metrics `codes` and of the subscriptions `subscriptionIds` by
    /// `usage`, aggregated anew from their stored events (after a metric's aggregation or filter
    /// keys, or a customer's timezone, changed).
    public func replace(codes: [String], subscriptionIds: [Int64], with usage: MonthlyUsage) throws {
        for table in ["event_rollups", "event_unique_values"] as [StaticString] {
            try connection.execute(
                "DELETE FROM \(table) WHERE code = ANY ($1::text[]) OR subscription_id = ANY ($2::bigint[])",
                [codes, subscriptionIds])
        }
        try copy(usage, rollupsInto: "event_rollups", uniquesInto: "event_unique_values")
    }

    private func copy(_ usage: MonthlyUsage, rollupsInto rollups: StaticString, uniquesInto uniques: StaticString) throws {
        try connection.copyIn("""
            COPY \(rollups) (subscription_id, code, month, filter_values, units, events_count,
                             max_units, latest_at, latest_arrival, latest_units, weighted_micros) FROM STDIN
            """) { copy in
            for (key, total) in usage.totals {
                try copy.writeRow([key.subscriptionId, key.code, key.month.firstDay, key.filterValues, total.units, total.events,
                                   total.max, total.latest?.at, total.latest?.arrival, total.latest?.value, total.weightedMicros])
            }
        }
        guard !usage.uniques.isEmpty else { return }
        try connection.copyIn("""
            COPY \(uniques) (subscription_id, code, month, filter_values, value, last_at, last_arrival, added) FROM STDIN
            """) { copy in
            for (key, state) in usage.uniques {
                let bucket = key.bucket
                try copy.writeRow([bucket.subscriptionId, bucket.code, bucket.month.firstDay, bucket.filterValues, key.value,
                                   state.last.at, state.last.arrival, state.added])
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
    /// (in each subscription's billing timezone); for the metrics `recurringCodes`, also what the
    /// months before it carry over (`UsageBucket.unitsBefore`, and unique values' last operations
    /// ever). A bucket that cannot be read makes its subscription unreadable, not the whole month.
    public func buckets(subscriptionIds: [Int64], month: CalendarMonth, recurringCodes: Set<String> = []) throws -> MonthUsage {
        try buckets(subscriptionIds: subscriptionIds, months: month...month, recurringCodes: recurringCodes)
    }

    /// The same for the consecutive months `months` (a quarter, a year): one bucket per month
    /// (`UsageBucket.month`), what earlier months carry over on the first month's bucket, and each
    /// unique value's last operation over all of them, on the first month's bucket too.
    public func buckets(
        subscriptionIds: [Int64], months: ClosedRange<CalendarMonth>, recurringCodes: Set<String> = []
    ) throws -> MonthUsage {
        var usage = MonthUsage()
        guard !subscriptionIds.isEmpty else { return usage }
        let month = months.lowerBound
        struct BucketKey: Hashable { let subscriptionId: Int64; let code: String; let filterValues: String; let month: String }
        var buckets: [BucketKey: UsageBucket] = [:]
        var order: [BucketKey] = []
        func bucket(_ key: BucketKey) -> UsageBucket? {
            if let existing = buckets[key] { return existing }
            guard case .object(let object)? = try? JSONParser.parse(key.filterValues) else {
                usage.unreadable[key.subscriptionId] = "its usage of \(key.code) has filter values that are not an object"
                return nil
            }
            var values: [String: String] = [:]
            for (name, value) in object.entries { values[name] = value.stringValue ?? value.serialized }
            order.append(key)
            var bucket = UsageBucket(code: key.code, filterValues: values, units: .zero, eventsCount: 0)
            bucket.month = CalendarMonth(label: String(key.month.prefix(7)))
            return bucket
        }
        func unreadable(_ key: BucketKey, _ what: String) {
            usage.unreadable[key.subscriptionId] = "its usage of \(key.code) in \(key.month.prefix(7)) (\(what)) is beyond what Tally bills exactly (38 digits)"
        }

        struct Row: Decodable {
            let subscriptionId: Int64, code: String, filterValues: String, month: String, units: String, eventsCount: String
            let maxUnits: String?, latestAt: UTCInstant?, latestArrival: Int64?, latestUnits: String?, weightedMicros: String?
        }
        try connection.forEachRow("""
            SELECT subscription_id, code, filter_values::text AS filter_values, month::text AS month, units::text AS units,
                   events_count::text AS events_count, max_units::text AS max_units, latest_at, latest_arrival,
                   latest_units::text AS latest_units, weighted_micros::text AS weighted_micros
            FROM event_rollups
            WHERE subscription_id = ANY ($1::bigint[]) AND month BETWEEN $2::date AND $3::date
            ORDER BY subscription_id, code, filter_values::text, month
            """, [subscriptionIds, month.firstDay, months.upperBound.firstDay], as: Row.self) { row in
            let key = BucketKey(subscriptionId: row.subscriptionId, code: row.code, filterValues: row.filterValues, month: row.month)
            guard var current = bucket(key) else { return }
            guard let units = ExactDecimal(decimalString: row.units), let events = Int(row.eventsCount) else {
                return unreadable(key, "\(row.units) units, \(row.eventsCount) events")
            }
            current.units = units
            current.eventsCount = events
            if let text = row.maxUnits {
                guard let max = ExactDecimal(decimalString: text) else { return unreadable(key, "a maximum of \(text)") }
                current.max = max
            }
            if let at = row.latestAt, let arrival = row.latestArrival, let text = row.latestUnits {
                guard let value = ExactDecimal(decimalString: text) else { return unreadable(key, "a latest value of \(text)") }
                current.latest = MonthlyUsage.Latest(at: at, arrival: arrival, value: value)
            }
            if let text = row.weightedMicros {
                guard let weighted = ExactDecimal(decimalString: text) else { return unreadable(key, "a weighted sum of \(text)") }
                current.weightedMicros = weighted
            }
            buckets[key] = current
        }

        if !recurringCodes.isEmpty {
            struct Before: Decodable { let subscriptionId: Int64, code: String, filterValues: String, units: String, eventsCount: String }
            try connection.forEachRow("""
                SELECT subscription_id, code, filter_values::text AS filter_values, sum(units)::text AS units,
                       sum(events_count)::text AS events_count
                FROM event_rollups
                WHERE subscription_id = ANY ($1::bigint[]) AND code = ANY ($3::text[]) AND month < $2::date
                GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
                """, [subscriptionIds, month.firstDay, recurringCodes.sorted()], as: Before.self) { row in
                let key = BucketKey(subscriptionId: row.subscriptionId, code: row.code, filterValues: row.filterValues,
                                    month: month.firstDay)
                guard var current = bucket(key) else { return }
                guard let units = ExactDecimal(decimalString: row.units), let events = Int(row.eventsCount) else {
                    return unreadable(key, "\(row.units) units, \(row.eventsCount) events before it")
                }
                current.unitsBefore = units
                current.eventsBefore = events
                buckets[key] = current
            }
        }

        // Each distinct value's last operation per bucket (up to the month, or ever for a recurring
        // metric). A value found in one bucket only is counted here; one found in several comes
        // back whole, for `UsageAggregation` to merge within each charge slot.
        struct Unique: Decodable {
            let subscriptionId: Int64, code: String, filterValues: String, aloneAdded: Int?
            let value: String?, lastAt: UTCInstant?, lastArrival: Int64?, added: Bool?
        }
        try connection.forEachRow("""
            WITH latest AS (
                SELECT DISTINCT ON (subscription_id, code, filter_values, value)
                       subscription_id, code, filter_values::text AS filter_values, value, last_at, last_arrival, added
                FROM event_unique_values
                WHERE subscription_id = ANY ($1::bigint[])
                  AND (month BETWEEN $2::date AND $4::date OR (code = ANY ($3::text[]) AND month < $2::date))
                ORDER BY subscription_id, code, filter_values, value, last_at DESC, last_arrival DESC
            ), spread AS (
                SELECT *, count(*) OVER (PARTITION BY subscription_id, code, value) AS buckets FROM latest
            )
            SELECT subscription_id, code, filter_values, count(*) FILTER (WHERE added) AS alone_added,
                   NULL AS value, NULL::timestamptz AS last_at, NULL::bigint AS last_arrival, NULL::boolean AS added
            FROM spread WHERE buckets = 1 GROUP BY 1, 2, 3
            UNION ALL
            SELECT subscription_id, code, filter_values, NULL, value, last_at, last_arrival, added
            FROM spread WHERE buckets > 1
            """, [subscriptionIds, month.firstDay, recurringCodes.sorted(), months.upperBound.firstDay], as: Unique.self) { row in
            let key = BucketKey(subscriptionId: row.subscriptionId, code: row.code, filterValues: row.filterValues,
                                month: month.firstDay)
            guard var current = bucket(key) else { return }
            if let alone = row.aloneAdded { current.uniqueAddedAlone += alone }
            if let value = row.value, let at = row.lastAt, let arrival = row.lastArrival, let added = row.added {
                current.uniqueValues[value] = MonthlyUsage.UniqueState(
                    last: MonthlyUsage.Latest(at: at, arrival: arrival, value: .zero), added: added)
            }
            buckets[key] = current
        }

        for key in order where usage.unreadable[key.subscriptionId] == nil {
            if let bucket = buckets[key] { usage.buckets[key.subscriptionId, default: []].append(bucket) }
        }
        return usage
    }
}
