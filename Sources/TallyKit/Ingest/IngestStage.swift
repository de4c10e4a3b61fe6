import Foundation
import TallyCore

/// Progress of a long ingest, reported every few tens of thousands of records.
public struct IngestProgress: Sendable {
    public let file: String
    public let records: Int
    /// Bytes of the file read so far, and its size (on disk: compressed for `.gz`).
    public let bytesRead: Int
    public let fileBytes: Int
}

/// `tally ingest`: export files in, validated and deduplicated events stored.
///
/// Each file is one transaction, which also writes the file's ingest record; a file that fails
/// stores nothing. Its valid events are first copied straight into `events`, in key-ordered runs,
/// while their usage is summed for the rollups. That load holds only when no event of the file
/// repeats a stored event or an earlier line: on the first repeat it is rolled back, and the file
/// is read again into a staging table, deduplicated and classified there (`loadStaged`).
public struct IngestStage {
    let connection: PostgresConnection
    let outDirectory: String
    let progress: (@Sendable (IngestProgress) -> Void)?
    /// Rows per key-ordered run of the direct load (smaller in tests, to span several runs).
    var rowsPerRun = KeyOrderedRows.maximumRows

    public init(connection: PostgresConnection, outDirectory: String, progress: (@Sendable (IngestProgress) -> Void)? = nil) {
        self.connection = connection
        self.outDirectory = outDirectory
        self.progress = progress
    }

    /// Ingests `paths` in order, each after the previous one committed.
    public func ingest(_ paths: [String]) throws -> IngestSummary {
        let context = try Context(connection: connection)
        return IngestSummary(files: try paths.map { try ingest($0, sha256: nil, context: context) })
    }

    /// Ingests one file, recording its content checksum when given (`tally run` recognises a file
    /// seen before by it). A file that cannot be ingested is returned with `failure` set.
    public func ingest(_ path: String, sha256: String?) throws -> IngestFileSummary {
        try ingest(path, sha256: sha256, context: Context(connection: connection))
    }

    /// The catalog as validation needs it, loaded once per run.
    private struct Context {
        let validator: EventValidator
        let subscriptionNames: [Int64: String]
        let timezones: [Int64: String]

        init(connection: PostgresConnection) throws {
            let catalog = try IngestCatalogLoader.load(from: connection)
            validator = EventValidator(catalog: catalog)
            subscriptionNames = Dictionary(catalog.subscriptions.values.map { ($0.id, $0.externalId) }, uniquingKeysWith: { $1 })
            timezones = Dictionary(catalog.subscriptions.values.map { ($0.id, $0.billingTimezone) }, uniquingKeysWith: { $1 })
        }
    }

    /// The columns an event row is copied with, in `KeyOrderedRows`' order.
    static let eventColumns = #"subscription_id, transaction_id, code, "timestamp", properties, units, ingest_id, source_line"#

    /// Why the direct load gave way to the staged one.
    private enum DirectLoadRefusal: Error {
        /// An event repeats a key: deduplication must classify it.
        case repeatedKey
        /// An event's usage cannot be summed in Swift (timezone unknown here, units beyond 38 digits).
        case unsummable
    }

    private func ingest(_ path: String, sha256: String?, context: Context) throws -> IngestFileSummary {
        try Interruption.check()
        do {
            return try ingest(path, sha256: sha256, in: context)
        } catch let error as ExportReadError {
            var file = IngestFileSummary(path: path)
            file.failure = error.description
            return file
        } catch let error as PostgresError where !error.isConnectionFailure {
            var file = IngestFileSummary(path: path)
            file.failure = "\(path): \(error)"
            return file
        }
    }

    private func ingest(_ path: String, sha256: String?, in context: Context) throws -> IngestFileSummary {
        let format = try ExportFormat(path: path)
        let rejects = try RejectsFile(outDirectory: outDirectory, exportPath: path)
        var file = IngestFileSummary(path: path)
        try connection.transaction {
            let ingestId = try connection.execute("""
                INSERT INTO ingests (source, path, format, sha256, started_at, read, accepted, duplicates, rejected, rejected_by_reason)
                VALUES ($1, $2, $3, $4, now(), 0, 0, 0, 0, '{}') RETURNING id
                """, [path, URL(fileURLWithPath: path).standardizedFileURL.path, format.rawValue, sha256]).scalar!
            try connection.execute("SAVEPOINT direct_load")
            do {
                file = try loadDirect(path, ingestId: Int64(ingestId)!, rejects: rejects, context: context)
                try connection.execute("RELEASE SAVEPOINT direct_load")
            } catch let error where Self.refusesDirectLoad(error) {
                try connection.execute("ROLLBACK TO SAVEPOINT direct_load")
                rejects.reset()
                file = try loadStaged(path, ingestId: ingestId, rejects: rejects, context: context)
            }
            let reasons = JSONValue.object(JSONObject(file.rejectedByReason.sorted { $0.key < $1.key }
                .map { ($0.key.rawValue, .number(String($0.value))) }))
            CrashPoint.reach("ingest-before-commit")
            try connection.execute("""
                UPDATE ingests SET read = $2, accepted = $3, duplicates = $4, rejected = $5,
                    rejected_by_reason = $6::jsonb, late_periods = $7::jsonb, finished_at = now()
                WHERE id = $1
                """, [ingestId, String(file.read), String(file.accepted), String(file.duplicates), String(file.rejected),
                      reasons.serialized, LatePeriod.json(file.latePeriods).serialized])
        }
        CrashPoint.reach("ingest-after-commit")
        try rejects.commit()
        file.rejectsFile = rejects.count > 0 ? rejects.finalPath : nil
        return file
    }

    private static func refusesDirectLoad(_ error: any Error) -> Bool {
        switch error {
        case is DirectLoadRefusal, is KeyOrderedRows.DuplicateKey: true
        case let error as PostgresError: error.sqlState == "23505"  // unique_violation: a key already stored
        default: false
        }
    }

    /// Reads the file, writing its rejects, and calls `accept` with each valid event's record, the
    /// event and its usage bucket (the metric's filter values as JSON).
    private static func readEvents(
        _ path: String, into file: inout IngestFileSummary, rejects: RejectsFile, validator: EventValidator,
        progress: (@Sendable (IngestProgress) -> Void)?, _ accept: (ExportRecord, ValidatedEvent, String) throws -> Void
    ) throws {
        let reader = try ExportReader(path: path)
        file.format = reader.format
        try reader.forEachRecord { record in
            file.read += 1
            if file.read % 65_536 == 0 {
                try Interruption.check()
                progress?(IngestProgress(file: path, records: file.read, bytesRead: reader.bytesRead, fileBytes: reader.fileBytes))
            }
            switch record.content.flatMap({ validator.validate($0) }) {
            case .success(let event):
                try accept(record, event, event.propertiesJSON(only: validator.catalog.metrics[event.code]?.filterValues ?? [:]))
            case .failure(let rejection):
                file.rejectedByReason[rejection.reason, default: 0] += 1
                try rejects.write(line: record.line, reason: rejection.reason, message: rejection.message, raw: record.raw)
            }
        }
    }

    /// Copies the valid events straight into `events` and adds their summed usage to the rollups.
    /// A thread of its own reads, validates and encodes the file in runs of rows (`KeyOrderedRows`)
    /// while this one sorts each run and sends it. Throws a refusal, or PostgreSQL's unique
    /// violation, when a key repeats; a first run whose keys are already stored (the export was
    /// ingested before) refuses before anything is sent.
    private func loadDirect(_ path: String, ingestId: Int64, rejects: RejectsFile, context: Context) throws -> IngestFileSummary {
        // Owned by the read-ahead thread until `next()` returns nil.
        var file = IngestFileSummary(path: path)
        var usage = MonthlyUsage(timezones: context.timezones)
        let progress = progress, rowsPerRun = rowsPerRun
        let runs = ReadAhead<KeyOrderedRows>(capacity: 1) { send in
            var run = KeyOrderedRows(rowLimit: rowsPerRun)
            try Self.readEvents(path, into: &file, rejects: rejects, validator: context.validator, progress: progress) { record, event, bucket in
                guard usage.add(event, filterValues: bucket) else { throw DirectLoadRefusal.unsummable }
                run.append(event, line: record.line, ingestId: ingestId)
                if run.isFull {
                    try send(run)
                    run = KeyOrderedRows(rowLimit: rowsPerRun)
                }
            }
            if !run.isEmpty { try send(run) }
        }
        defer { runs.stop() }
        if var first = try runs.next() {
            try first.sortByKey()
            if try anyStored(first.sampleKeys(limit: 1_000)) { throw DirectLoadRefusal.repeatedKey }
            try connection.copyIn("COPY events (\(Self.eventColumns)) FROM STDIN (FORMAT binary)") { copy in
                copy.beginBinary()
                try first.write(into: &copy)
                first = KeyOrderedRows()  // let its memory go
                while var run = try runs.next() {
                    try run.sortByKey()
                    try run.write(into: &copy)
                }
                try copy.endBinary()
            }
        }
        while try runs.next() != nil {}  // an export without valid events: wait for the reader's end
        file.accepted = usage.totals.values.reduce(0) { $0 + $1.events }
        try UsageRollups.add(usage, connection)
        file.latePeriods = try UsageRollups.latePeriods(connection)
        return file
    }

    /// Whether any of `keys` is already stored.
    private func anyStored(_ keys: [(subscriptionId: Int64, transactionId: String)]) throws -> Bool {
        try connection.execute("""
            SELECT EXISTS (SELECT 1 FROM unnest($1::bigint[], $2::text[]) k (subscription_id, transaction_id)
                           JOIN events e USING (subscription_id, transaction_id))
            """, [PostgresArray.bigint(keys.map(\.subscriptionId)), PostgresArray.text(keys.map(\.transactionId))]).scalar == "t"
    }

    /// Copies the valid events into a staging table, then stores them deduplicated (`store`).
    private func loadStaged(_ path: String, ingestId: String, rejects: RejectsFile, context: Context) throws -> IngestFileSummary {
        var file = IngestFileSummary(path: path)
        try connection.execute("""
            CREATE TEMP TABLE staging (
                line bigint NOT NULL, subscription_id bigint NOT NULL, transaction_id text NOT NULL,
                code text NOT NULL, "timestamp" timestamptz NOT NULL, properties jsonb NOT NULL,
                units numeric NOT NULL, raw text NOT NULL, filter_values jsonb NOT NULL
            ) ON COMMIT DROP
            """)
        var staged = 0
        try connection.copyIn("COPY staging FROM STDIN (FORMAT binary)") { copy in
            copy.beginBinary()
            try Self.readEvents(path, into: &file, rejects: rejects, validator: context.validator, progress: progress) { record, event, bucket in
                try copy.beginRow(columns: 9)
                copy.appendBigint(Int64(record.line))
                copy.appendBigint(event.subscriptionId)
                copy.appendText(event.transactionId)
                copy.appendText(event.code)
                copy.appendTimestamp(microsecondsSinceUnixEpoch: event.timestamp.microsecondsSinceEpoch)
                copy.appendJSONB(event.propertiesJSON)
                copy.appendNumeric(event.units)
                copy.appendText(record.raw)
                copy.appendJSONB(bucket)
                staged += 1
            }
            try copy.endBinary()
        }
        try store(&file, staged: staged, ingestId: ingestId, rejects: rejects, subscriptionNames: context.subscriptionNames)
        return file
    }

    /// Moves the staged rows into `events`, deduplicating by (subscription, transaction id): rows are
    /// inserted in key order (so the unique index is walked once, not probed at random), the first
    /// line of a key winning. A row not inserted is a duplicate when it equals, in meaning, the
    /// event that holds its key — stored before, or an earlier line of this file — and a conflict
    /// otherwise. Then `staging` holds exactly the accepted rows, which the rollups are summed from.
    private func store(
        _ file: inout IngestFileSummary, staged: Int, ingestId: String, rejects: RejectsFile, subscriptionNames: [Int64: String]
    ) throws {
        file.accepted = try connection.execute("""
            INSERT INTO events (subscription_id, transaction_id, code, "timestamp", properties, units, ingest_id, source_line)
            SELECT subscription_id, transaction_id, code, "timestamp", properties, units, $1, line
            FROM staging ORDER BY subscription_id, transaction_id, line
            ON CONFLICT (subscription_id, transaction_id) DO NOTHING
            """, [ingestId]).affected
        if file.accepted < staged {
            try refuse(&file, ingestId: ingestId, rejects: rejects, subscriptionNames: subscriptionNames)
        }
        try UsageRollups.addAccepted(connection)
        file.latePeriods = try UsageRollups.latePeriods(connection)
    }

    /// Classifies the staged rows that were not inserted, writes the conflicts to the rejects file,
    /// and removes them all from `staging`.
    private func refuse(_ file: inout IngestFileSummary, ingestId: String, rejects: RejectsFile, subscriptionNames: [Int64: String]) throws {
        try connection.execute("""
            CREATE TEMP TABLE refused ON COMMIT DROP AS
            SELECT s.line, s.raw, s.subscription_id, s.transaction_id,
                   (e.code, e."timestamp", e.properties) = (s.code, s."timestamp", s.properties) AS same,
                   e.ingest_id AS holder_ingest, e.source_line AS holder_line
            FROM staging s JOIN events e USING (subscription_id, transaction_id)
            WHERE NOT (e.ingest_id = $1 AND e.source_line = s.line)
            """, [ingestId])
        try connection.execute("DELETE FROM staging s USING refused r WHERE r.line = s.line")
        file.duplicates = Int(try connection.execute("SELECT count(*) FROM refused WHERE same").scalar!)!
        let conflicts = try connection.execute("""
            SELECT r.line, r.raw, r.subscription_id, r.transaction_id, r.holder_ingest = $1, r.holder_line, i.source
            FROM refused r JOIN ingests i ON i.id = r.holder_ingest
            WHERE NOT r.same ORDER BY r.line
            """, [ingestId])
        for row in conflicts.rows {
            let subscription = subscriptionNames[Int64(row[2]!)!] ?? row[2]!
            let key = "transaction_id \(JSONValue.quoted(row[3]!)) of subscription \(JSONValue.quoted(subscription))"
            let message = if row[4] == "t" {
                "\(key) was first seen on line \(row[5]!) of this file with different content: give corrected events new transaction ids"
            } else {
                "\(key) is already stored, from \(row[6]!) line \(row[5]!), with different content: give corrected events new transaction ids"
            }
            try rejects.write(line: Int(row[0]!)!, reason: .duplicateConflict, message: message, raw: row[1]!)
        }
        if !conflicts.rows.isEmpty { file.rejectedByReason[.duplicateConflict, default: 0] += conflicts.rows.count }
    }
}
