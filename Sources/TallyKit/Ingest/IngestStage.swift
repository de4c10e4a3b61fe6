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
/// Each file is one transaction: its valid events are streamed with COPY into a staging table,
/// deduplicated there against themselves and the stored events, and inserted; the file's ingest
/// record is written in the same transaction. A file that fails stores nothing.
public struct IngestStage {
    let connection: PostgresConnection
    let outDirectory: String
    let progress: (@Sendable (IngestProgress) -> Void)?

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

        init(connection: PostgresConnection) throws {
            let catalog = try IngestCatalogLoader.load(from: connection)
            validator = EventValidator(catalog: catalog)
            subscriptionNames = Dictionary(catalog.subscriptions.values.map { ($0.id, $0.externalId) }, uniquingKeysWith: { $1 })
        }
    }

    private func ingest(_ path: String, sha256: String?, context: Context) throws -> IngestFileSummary {
        try Interruption.check()
        do {
            return try ingest(path, sha256: sha256, validator: context.validator, subscriptionNames: context.subscriptionNames)
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

    private func ingest(
        _ path: String, sha256: String?, validator: EventValidator, subscriptionNames: [Int64: String]
    ) throws -> IngestFileSummary {
        let reader = try ExportReader(path: path)
        var file = IngestFileSummary(path: path)
        file.format = reader.format
        let rejects = try RejectsFile(outDirectory: outDirectory, exportPath: path)
        try connection.transaction {
            let ingestId = try connection.execute("""
                INSERT INTO ingests (source, path, format, sha256, started_at, read, accepted, duplicates, rejected, rejected_by_reason)
                VALUES ($1, $2, $3, $4, now(), 0, 0, 0, 0, '{}') RETURNING id
                """, [path, URL(fileURLWithPath: path).standardizedFileURL.path, reader.format.rawValue, sha256]).scalar!
            try connection.execute("""
                CREATE TEMP TABLE staging (
                    line bigint NOT NULL, subscription_id bigint NOT NULL, transaction_id text NOT NULL,
                    code text NOT NULL, "timestamp" timestamptz NOT NULL, properties jsonb NOT NULL,
                    units numeric NOT NULL, raw text NOT NULL
                ) ON COMMIT DROP
                """)
            try connection.copyIn("COPY staging FROM STDIN") { copy in
                try reader.forEachRecord { record in
                    file.read += 1
                    if file.read % 65_536 == 0 {
                        try Interruption.check()
                        progress?(IngestProgress(file: path, records: file.read, bytesRead: reader.bytesRead, fileBytes: reader.fileBytes))
                    }
                    let outcome = record.content.flatMap { validator.validate($0) }
                    switch outcome {
                    case .success(let event):
                        try copy.writeRow([
                            String(record.line), String(event.subscriptionId), event.transactionId, event.code,
                            event.timestamp.description, event.propertiesJSON, event.units.description, record.raw,
                        ])
                    case .failure(let rejection):
                        file.rejectedByReason[rejection.reason, default: 0] += 1
                        try rejects.write(line: record.line, reason: rejection.reason, message: rejection.message, raw: record.raw)
                    }
                }
            }
            try deduplicate(&file, ingestId: ingestId, rejects: rejects, subscriptionNames: subscriptionNames)
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

    /// Classifies every staged row against the first row of its key in this file and the stored
    /// event of that key: the stored event, else the file's first row, is the reference; a row
    /// equal to it in meaning is a duplicate, a different one a conflict.
    /// Accepted events that fall in a period already invoiced for their customer (SPEC §3): they
    /// are stored, and billed when that period is reprocessed.
    private func countLate(_ file: inout IngestFileSummary) throws {
        for row in try connection.execute("""
            SELECT c.external_id, i.period, count(*)
            FROM classified e
            JOIN subscriptions s ON s.id = e.subscription_id
            JOIN customers c ON c.id = s.customer_id
            JOIN invoices i ON i.customer_id = s.customer_id AND i.status <> 'voided'
                AND e."timestamp" BETWEEN i.period_from AND i.period_to
            WHERE e.outcome = 'accepted'
            GROUP BY c.external_id, i.period ORDER BY i.period, c.external_id
            """).rows {
            file.latePeriods.append(LatePeriod(customer: row[0]!, period: row[1]!, events: Int(row[2]!)!))
        }
    }

    private func deduplicate(
        _ file: inout IngestFileSummary, ingestId: String, rejects: RejectsFile, subscriptionNames: [Int64: String]
    ) throws {
        try connection.execute("""
            CREATE TEMP TABLE classified ON COMMIT DROP AS
            WITH firsts AS (
                SELECT DISTINCT ON (subscription_id, transaction_id)
                       subscription_id, transaction_id, line, code, "timestamp", properties
                FROM staging ORDER BY subscription_id, transaction_id, line
            )
            SELECT s.*,
                   CASE
                       WHEN e.id IS NOT NULL THEN
                           CASE WHEN (e.code, e."timestamp", e.properties) = (s.code, s."timestamp", s.properties)
                                THEN 'duplicate' ELSE 'conflict' END
                       WHEN f.line = s.line THEN 'accepted'
                       WHEN (f.code, f."timestamp", f.properties) = (s.code, s."timestamp", s.properties) THEN 'duplicate'
                       ELSE 'conflict'
                   END AS outcome,
                   f.line AS first_line, e.ingest_id AS stored_ingest, e.source_line AS stored_line
            FROM staging s
            JOIN firsts f USING (subscription_id, transaction_id)
            LEFT JOIN events e USING (subscription_id, transaction_id)
            """)
        let inserted = try connection.execute("""
            INSERT INTO events (subscription_id, transaction_id, code, "timestamp", properties, units, ingest_id, source_line, raw)
            SELECT subscription_id, transaction_id, code, "timestamp", properties, units, $1, line, raw
            FROM classified WHERE outcome = 'accepted' ORDER BY line
            """, [ingestId])
        file.accepted = inserted.affected
        try UsageRollups.addAccepted(connection)
        try countLate(&file)
        file.duplicates = Int(try connection.execute("SELECT count(*) FROM classified WHERE outcome = 'duplicate'").scalar!)!
        let conflicts = try connection.execute("""
            SELECT c.line, c.raw, c.subscription_id, c.transaction_id, c.first_line, i.source, c.stored_line
            FROM classified c LEFT JOIN ingests i ON i.id = c.stored_ingest
            WHERE c.outcome = 'conflict' ORDER BY c.line
            """)
        for row in conflicts.rows {
            let subscription = subscriptionNames[Int64(row[2]!)!] ?? row[2]!
            let key = "transaction_id \(JSONValue.quoted(row[3]!)) of subscription \(JSONValue.quoted(subscription))"
            let message = if let source = row[5] {
                "\(key) is already stored, from \(source) line \(row[6]!), with different content: give corrected events new transaction ids"
            } else {
                "\(key) was first seen on line \(row[4]!) of this file with different content: give corrected events new transaction ids"
            }
            try rejects.write(line: Int(row[0]!)!, reason: .duplicateConflict, message: message, raw: row[1]!)
        }
        if !conflicts.rows.isEmpty { file.rejectedByReason[.duplicateConflict, default: 0] += conflicts.rows.count }
    }
}
