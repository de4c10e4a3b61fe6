import Foundation
import TallyCore
import TallyPostgres

/// The events table and the ingest records (one row per export file ingested, committed with its
/// events). Events are unique by (subscription, transaction id); an event is found again through
/// its export and line (`ingest_id`, `source_line`).
///
/// Two ways in: `copy` sends rows straight into `events` (an export whose keys are all new), and
/// the staging methods load a file into a temporary table first, to keep the first line of each
/// key and classify the rest.
public struct EventStore {
    let connection: PostgresConnection

    /// The columns `KeyOrderedEventRows` encodes, in its order.
    static let eventColumns = #"subscription_id, transaction_id, code, "timestamp", properties, units, ingest_id, source_line"#

    // MARK: Ingest records

    /// Records the start of an export's ingest (inside its transaction); returns the ingest's id.
    public func beginIngest(source: String, path: String, format: String, sha256: String?) throws -> Int64 {
        try connection.queryValue("""
            INSERT INTO ingests (source, path, format, sha256, started_at, read, accepted, duplicates, rejected, rejected_by_reason)
            VALUES ($1, $2, $3, $4, now(), 0, 0, 0, 0, '{}') RETURNING id
            """, [source, path, format, sha256], column: "id")
    }

    /// What an export's ingest counted.
    public struct IngestCounts: Sendable {
        public let read: Int
        public let accepted: Int
        public let duplicates: Int
        public let rejectedByReason: [RejectReason: Int]
        public let latePeriods: [LatePeriod]
        /// Where its rejects are, when it had any.
        public let rejectsFile: String?

        public init(read: Int, accepted: Int, duplicates: Int, rejectedByReason: [RejectReason: Int], latePeriods: [LatePeriod],
                    rejectsFile: String?) {
            self.rejectsFile = rejectsFile
            self.read = read
            self.accepted = accepted
            self.duplicates = duplicates
            self.rejectedByReason = rejectedByReason
            self.latePeriods = latePeriods
        }
    }

    /// Records what the ingest counted (the table checks that the counts reconcile).
    public func finishIngest(_ id: Int64, _ counts: IngestCounts) throws {
        let reasons = JSONValue.object(JSONObject(counts.rejectedByReason.sorted { $0.key < $1.key }
            .map { ($0.key.rawValue, .number(String($0.value))) }))
        try connection.execute("""
            UPDATE ingests SET read = $2, accepted = $3, duplicates = $4, rejected = $5,
                rejected_by_reason = $6::jsonb, late_periods = $7::jsonb, rejects_file = $8, finished_at = now()
            WHERE id = $1
            """, [id, counts.read, counts.accepted, counts.duplicates, counts.rejectedByReason.values.reduce(0, +),
                  reasons.serialized, LatePeriod.json(counts.latePeriods).serialized, counts.rejectsFile])
    }

    /// Whether the ingest `id` committed.
    public func ingestExists(_ id: Int64) throws -> Bool {
        try connection.queryValue("SELECT EXISTS (SELECT 1 FROM ingests WHERE id = $1) AS committed", [id], column: "committed")
    }

    /// An export ingested before with the same content (by SHA-256), if any: its name and when.
    public func ingest(withChecksum sha256: String) throws -> (source: String, finishedAt: UTCInstant)? {
        struct Row: Decodable { let source: String; let finishedAt: UTCInstant }
        return try connection.queryFirst(
            "SELECT source, finished_at FROM ingests WHERE sha256 = $1 ORDER BY id LIMIT 1", [sha256], as: Row.self)
            .map { ($0.source, $0.finishedAt) }
    }

    // MARK: The direct load

    /// Sends rows straight into `events` by one binary COPY: `send` is called with a function that
    /// sends one key-ordered run. Throws `KeyAlreadyStored` when the unique index meets a stored key.
    public func copy(_ send: (_ run: (KeyOrderedEventRows) throws -> Void) throws -> Void) throws {
        do {
            try connection.copyIn("COPY events (\(Self.eventColumns)) FROM STDIN (FORMAT binary)") { copy in
                copy.beginBinary()
                try send { run in try run.write(into: &copy) }
                try copy.endBinary()
            }
        } catch let error as PostgresError where error.code == .uniqueViolation {
            throw KeyAlreadyStored()
        }
    }

    /// A row sent by `copy` has the key of a stored event.
    public struct KeyAlreadyStored: Error {}

    /// Whether any of `keys` is already stored.
    public func containsAny(_ keys: [(subscriptionId: Int64, transactionId: String)]) throws -> Bool {
        try connection.queryValue("""
            SELECT EXISTS (SELECT 1 FROM unnest($1::bigint[], $2::text[]) k (subscription_id, transaction_id)
                           JOIN events e USING (subscription_id, transaction_id)) AS stored
            """, [keys.map(\.subscriptionId), keys.map(\.transactionId)], column: "stored")
    }

    // MARK: The staged load

    /// A valid event of the export as staged: where it came from, what it is, its usage bucket.
    public struct StagedEvent {
        public let line: Int
        public let event: ValidatedEvent
        /// The record as it was in the file, for the rejects file if it turns out a conflict.
        public let raw: String
        /// Its usage bucket: the month and the filter values (JSON object text).
        public let month: CalendarMonth
        public let filterValues: String
        /// What its metric's aggregation needs: the aggregation, the microseconds from the month's
        /// start to the event (`MonthlyUsage.microsecondsIntoMonth`), its arrival
        /// (`MonthlyUsage.arrival`) and, for a unique count, the value and whether it is added.
        public let aggregation: AggregationType
        public let microsecondsIntoMonth: Int64
        public let arrival: Int64
        public let unique: (value: String, adds: Bool)?

        public init(
            line: Int, event: ValidatedEvent, raw: String, month: CalendarMonth, filterValues: String,
            aggregation: AggregationType, microsecondsIntoMonth: Int64, arrival: Int64, unique: (value: String, adds: Bool)?
        ) {
            self.line = line
            self.event = event
            self.raw = raw
            self.month = month
            self.filterValues = filterValues
            self.aggregation = aggregation
            self.microsecondsIntoMonth = microsecondsIntoMonth
            self.arrival = arrival
            self.unique = unique
        }
    }

    /// Creates the transaction's staging table and fills it by one binary COPY: `stage` is called
    /// with a function that adds one event.
    public func stage(_ fill: (_ add: (StagedEvent) throws -> Void) throws -> Void) throws {
        try connection.execute("""
            CREATE TEMP TABLE staging (
                line bigint NOT NULL, subscription_id bigint NOT NULL, transaction_id text NOT NULL,
                code text NOT NULL, "timestamp" timestamptz NOT NULL, properties jsonb NOT NULL,
                units numeric NOT NULL, raw text NOT NULL, month date NOT NULL, filter_values jsonb NOT NULL,
                aggregation text NOT NULL, micros_into_month bigint NOT NULL, arrival bigint NOT NULL,
                unique_value text, unique_added boolean
            ) ON COMMIT DROP
            """)
        try connection.copyIn("COPY staging FROM STDIN (FORMAT binary)") { copy in
            copy.beginBinary()
            try fill { staged in
                let event = staged.event
                try copy.beginRow(columns: 15)
                copy.appendBigint(Int64(staged.line))
                copy.appendBigint(event.subscriptionId)
                copy.appendText(event.transactionId)
                copy.appendText(event.code)
                copy.appendTimestamp(microsecondsSinceUnixEpoch: event.timestamp.microsecondsSinceEpoch)
                copy.appendJSONB(event.sentProperties)
                copy.appendNumeric(event.units)
                copy.appendText(staged.raw)
                copy.appendDate(year: staged.month.year, month: staged.month.month, day: 1)
                copy.appendJSONB(staged.filterValues)
                copy.appendText(staged.aggregation.rawValue)
                copy.appendBigint(staged.microsecondsIntoMonth)
                copy.appendBigint(staged.arrival)
                if let unique = staged.unique {
                    copy.appendText(unique.value)
                    copy.appendBool(unique.adds)
                } else {
                    copy.appendNull()
                    copy.appendNull()
                }
            }
            try copy.endBinary()
        }
    }

    /// Moves the staged rows into `events`, in key order (so the unique index is walked once, not
    /// probed at random), the first line of a key winning; returns how many were inserted.
    public func storeStaged(ingestId: Int64) throws -> Int {
        try connection.execute("""
            INSERT INTO events (subscription_id, transaction_id, code, "timestamp", properties, units, ingest_id, source_line)
            SELECT subscription_id, transaction_id, code, "timestamp", properties, units, $1, line
            FROM staging ORDER BY subscription_id, transaction_id, line
            ON CONFLICT (subscription_id, transaction_id) DO NOTHING
            """, [ingestId])
    }

    /// A staged line whose key is held by another event with a different meaning.
    public struct Conflict: Sendable {
        public let line: Int
        public let raw: String
        public let subscriptionId: Int64
        public let transactionId: String
        /// Whether the event holding the key is an earlier line of this export.
        public let heldByThisExport: Bool
        public let holderLine: Int
        /// The export the holding event came from.
        public let holderSource: String
    }

    /// Classifies the staged rows `storeStaged` did not insert: a duplicate when it means the same
    /// as the event holding its key (stored before, or an earlier line of this export: the same
    /// code, instant and properties by `ValidatedEvent.sameMeaning`), a conflict otherwise, handed
    /// to `conflict` in line order. Removes them all from `staging`, which then holds exactly the
    /// accepted events. Returns the duplicates' count.
    public func classifyRefused(ingestId: Int64, _ conflict: (Conflict) throws -> Void) throws -> Int {
        try connection.execute("""
            CREATE TEMP TABLE refused ON COMMIT DROP AS
            SELECT s.line, s.raw, s.subscription_id, s.transaction_id, s.code, s."timestamp", s.properties,
                   e.code AS holder_code, e."timestamp" AS holder_timestamp, e.properties AS holder_properties,
                   e.ingest_id AS holder_ingest, e.source_line AS holder_line
            FROM staging s JOIN events e USING (subscription_id, transaction_id)
            WHERE NOT (e.ingest_id = $1 AND e.source_line = s.line)
            """, [ingestId])
        try connection.execute("DELETE FROM staging s USING refused r WHERE r.line = s.line")
        struct Row: Decodable {
            let line: Int, raw: String, subscriptionId: Int64, transactionId: String
            let code: String, timestamp: UTCInstant, properties: String
            let holderCode: String, holderTimestamp: UTCInstant, holderProperties: String
            let heldByThisExport: Bool, holderLine: Int, holderSource: String
        }
        var duplicates = 0
        try connection.forEachRow("""
            SELECT r.line, r.raw, r.subscription_id, r.transaction_id, r.code, r."timestamp", r.properties::text AS properties,
                   r.holder_code, r.holder_timestamp, r.holder_properties::text AS holder_properties,
                   r.holder_ingest = $1 AS held_by_this_export, r.holder_line, i.source AS holder_source
            FROM refused r JOIN ingests i ON i.id = r.holder_ingest ORDER BY r.line
            """, [ingestId], as: Row.self) { row in
            if row.code == row.holderCode, row.timestamp == row.holderTimestamp,
               ValidatedEvent.sameMeaning(row.properties, row.holderProperties) {
                duplicates += 1
            } else {
                try conflict(Conflict(line: row.line, raw: row.raw, subscriptionId: row.subscriptionId,
                                      transactionId: row.transactionId, heldByThisExport: row.heldByThisExport,
                                      holderLine: row.holderLine, holderSource: row.holderSource))
            }
        }
        return duplicates
    }

    // MARK: Reading back

    /// Whether any event of metric `code` is stored.
    public func hasEvents(code: String) throws -> Bool {
        try connection.queryValue("SELECT EXISTS (SELECT 1 FROM events WHERE code = $1) AS stored", [code], column: "stored")
    }

    /// How many events of subscription `subscriptionId` are stored with a timestamp after `instant`
    /// (or at it, with `orAt`).
    public func countEvents(subscriptionId: Int64, after instant: UTCInstant, orAt: Bool = false) throws -> Int {
        try connection.queryValue("""
            SELECT count(*)::bigint AS stored FROM events
            WHERE subscription_id = $1 AND ("timestamp" > $2 OR ($3 AND "timestamp" = $2))
            """, [subscriptionId, instant, orAt], column: "stored")
    }

    /// Streams the stored events of the metrics `codes` and of the subscriptions `subscriptionIds`,
    /// as validated events with their arrival (`MonthlyUsage.arrival`), in no particular order.
    public func forEachEvent(codes: [String], subscriptionIds: [Int64], _ body: (ValidatedEvent, _ arrival: Int64) throws -> Void) throws {
        struct Row: Decodable {
            let subscriptionId: Int64, transactionId: String, code: String, timestamp: UTCInstant
            let properties: String, units: ExactDecimal, ingestId: Int64, sourceLine: Int
        }
        try connection.forEachRow("""
            SELECT subscription_id, transaction_id, code, "timestamp", properties::text AS properties, units,
                   ingest_id, source_line
            FROM events
            WHERE code = ANY ($1::text[]) OR subscription_id = ANY ($2::bigint[])
            """, [codes, subscriptionIds], as: Row.self) { row in
            guard case .object(let object)? = try? JSONParser.parse(row.properties) else {
                throw StoredEventError(description: "event \(row.transactionId) of subscription id \(row.subscriptionId) has properties that are not an object")
            }
            try body(ValidatedEvent(
                subscriptionId: row.subscriptionId, transactionId: row.transactionId, code: row.code, timestamp: row.timestamp,
                properties: ValidatedEvent.canonicalProperties(object), sentProperties: row.properties, units: row.units),
                MonthlyUsage.arrival(ingestId: row.ingestId, line: row.sourceLine))
        }
    }

    /// Streams the stored events of subscription `subscriptionId` up to `to` (included): those from
    /// `from` on, and the earlier ones of the metrics `recurringCodes`; with their arrival
    /// (`MonthlyUsage.arrival`), in no particular order. What close reads for a dated period.
    public func forEachEvent(
        subscriptionId: Int64, from: UTCInstant, to: UTCInstant, recurringCodes: [String],
        _ body: (ValidatedEvent, _ arrival: Int64) throws -> Void
    ) throws {
        struct Row: Decodable {
            let transactionId: String, code: String, timestamp: UTCInstant
            let properties: String, units: ExactDecimal, ingestId: Int64, sourceLine: Int
        }
        try connection.forEachRow("""
            SELECT transaction_id, code, "timestamp", properties::text AS properties, units, ingest_id, source_line
            FROM events
            WHERE subscription_id = $1 AND "timestamp" <= $3 AND ("timestamp" >= $2 OR code = ANY ($4::text[]))
            """, [subscriptionId, from, to, recurringCodes], as: Row.self) { row in
            guard case .object(let object)? = try? JSONParser.parse(row.properties) else {
                throw StoredEventError(description: "event \(row.transactionId) of subscription id \(subscriptionId) has properties that are not an object")
            }
            try body(ValidatedEvent(
                subscriptionId: subscriptionId, transactionId: row.transactionId, code: row.code, timestamp: row.timestamp,
                properties: ValidatedEvent.canonicalProperties(object), sentProperties: row.properties, units: row.units),
                MonthlyUsage.arrival(ingestId: row.ingestId, line: row.sourceLine))
        }
    }

    /// The events of `subscriptionId` from `from` to `to` (both included) of metric `code`, in
    /// timestamp order, then arrival; the properties named in `filterKeys` (the metric's filter
    /// keys) come back canonical.
    public func values(
        subscriptionId: Int64, code: String, from: UTCInstant, to: UTCInstant, filterKeys: Set<String>
    ) throws -> [UsageEventValue] {
        struct Row: Decodable { let properties: String; let units: ExactDecimal }
        var values: [UsageEventValue] = []
        try connection.forEachRow("""
            SELECT properties::text AS properties, units FROM events
            WHERE subscription_id = $1 AND code = $2 AND "timestamp" BETWEEN $3 AND $4
            ORDER BY "timestamp", ingest_id, source_line
            """, [subscriptionId, code, from, to], as: Row.self) { row in
            guard case .object(let object)? = try? JSONParser.parse(row.properties) else {
                throw StoredEventError(description: "an event of subscription id \(subscriptionId) has properties that are not an object")
            }
            var filterValues: [String: String] = [:]
            for property in ValidatedEvent.canonicalProperties(object) where filterKeys.contains(property.key) {
                filterValues[property.key] = property.value
            }
            values.append(UsageEventValue(code: code, filterValues: filterValues, units: row.units))
        }
        return values
    }
}

/// A stored event that is not as ingest writes events.
public struct StoredEventError: Error, CustomStringConvertible {
    public let description: String
}
