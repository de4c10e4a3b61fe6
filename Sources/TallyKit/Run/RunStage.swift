import Foundation
import TallyCore

/// What one `tally run` did, stage by stage.
public struct RunSummary: Sendable {
    public enum Outcome: String, Sendable { case succeeded, rejects, failed }

    public var runId: Int64 = 0
    public var catalog: CatalogApplyReport?
    public var ingest = IngestSummary()
    /// Inbox files recognised by content as already ingested, and moved to processed/ unread.
    public var skipped: [String] = []
    public var close: CloseSummary?
    /// Why the run stopped early, if it did.
    public var failure: String?
    public var reportPath: String?

    public var outcome: Outcome {
        if failure != nil || !ingest.failedFiles.isEmpty { return .failed }
        return ingest.total.rejected > 0 ? .rejects : .succeeded
    }

    /// The reconciliation of the run, as written beside the invoices and printed by `--json`.
    public var json: JSONValue {
        var object = JSONObject([
            ("run_id", .number(String(runId))),
            ("outcome", .string(outcome.rawValue)),
            ("ingest", ingest.json),
            ("skipped_files", .array(skipped.map { .string($0) })),
        ])
        if let catalog {
            object["catalog"] = [
                "created": .number(String(catalog.created.count)), "updated": .number(String(catalog.updated.count)),
                "unchanged": .number(String(catalog.unchanged)),
            ]
        }
        if let close {
            var closed = close.json.objectValue!
            let issued = close.issued
            closed["credits_applied_cents"] = .number(String(issued.reduce(0) { $0 + $1.prepaidCreditAmountCents }))
            object["close"] = .object(closed)
        }
        if let failure { object["failure"] = .string(failure) }
        return .object(object)
    }
}

/// `tally run`: the nightly job. Applies the pipeline's catalog, ingests every new export in the
/// inbox (each moved to processed/ or failed/ only after its transaction commits), closes every
/// period that ended before the as-of instant, and records the run and its stages in the store.
///
/// Every stage commits on its own and can be repeated: a run killed at any point and started
/// again ends where an uninterrupted run would (an export committed but not yet moved is
/// recognised by its checksum and moved without being read again).
public struct RunStage {
    let connection: PostgresConnection
    let pipeline: PipelineFile
    let outDirectory: String
    let progress: (@Sendable (IngestProgress) -> Void)?

    public init(connection: PostgresConnection, pipeline: PipelineFile, outDirectory: String,
                progress: (@Sendable (IngestProgress) -> Void)? = nil) {
        self.connection = connection
        self.pipeline = pipeline
        self.outDirectory = outDirectory
        self.progress = progress
    }

    public func run(asOf: UTCInstant, now: UTCInstant) throws -> RunSummary {
        var summary = RunSummary()
        // The run lock is held: a run still marked running was killed before it could say so.
        try connection.execute("UPDATE runs SET outcome = 'interrupted', finished_at = now() WHERE outcome = 'running'")
        try connection.execute(
            "UPDATE run_stages SET outcome = 'interrupted', finished_at = now() WHERE outcome = 'running'")
        summary.runId = Int64(try connection.execute(
            "INSERT INTO runs (pipeline, as_of) VALUES ($1, $2) RETURNING id", [pipeline.name, asOf.description]).scalar!)!
        do {
            if let catalog = pipeline.catalog {
                summary.catalog = try stage("catalog", run: summary.runId) {
                    let report = try CatalogStage.apply(file: catalog, to: connection, now: now)
                    return (report, ["created": report.created.count, "updated": report.updated.count, "unchanged": report.unchanged])
                }
            }
            try stage("ingest", run: summary.runId) {
                try ingestInbox(&summary)
                let total = summary.ingest.total
                return ((), ["files": summary.ingest.files.count, "skipped": summary.skipped.count, "read": total.read,
                             "accepted": total.accepted, "duplicates": total.duplicates, "rejected": total.rejected,
                             "late": total.late, "failed_files": summary.ingest.failedFiles.count])
            }
            summary.close = try stage("close", run: summary.runId) {
                let close = try CloseStage(connection: connection, outDirectory: outDirectory).close(.endedBefore(asOf), now: now)
                return (close, ["issued": close.issued.count, "already_closed": close.alreadyClosed.count,
                                "unpriced": close.unpriced.count, "files_written": close.filesWritten.count])
            }
        } catch {
            summary.failure = "\(error)"
        }
        summary.reportPath = try writeReport(summary)
        try connection.execute(
            "UPDATE runs SET finished_at = now(), outcome = $2, summary = $3::jsonb WHERE id = $1",
            [String(summary.runId), summary.outcome.rawValue, summary.json.serialized])
        return summary
    }

    /// Runs one stage and records its start, end, counts and outcome in `run_stages`.
    private func stage<T>(_ name: String, run: Int64, _ body: () throws -> (T, [String: Int])) throws -> T {
        let runId = String(run)
        try connection.execute("INSERT INTO run_stages (run_id, stage) VALUES ($1, $2)", [runId, name])
        do {
            let (value, counts) = try body()
            let countsJSON = JSONValue.object(JSONObject(counts.sorted { $0.key < $1.key }.map { ($0.key, .number(String($0.value))) }))
            try connection.execute(
                "UPDATE run_stages SET finished_at = now(), outcome = 'succeeded', counts = $3::jsonb WHERE run_id = $1 AND stage = $2",
                [runId, name, countsJSON.serialized])
            return value
        } catch {
            _ = try? connection.execute(
                "UPDATE run_stages SET finished_at = now(), outcome = 'failed', message = $3 WHERE run_id = $1 AND stage = $2",
                [runId, name, "\(error)"])
            throw error
        }
    }

    private func ingestInbox(_ summary: inout RunSummary) throws {
        let files = FileManager.default
        for folder in [pipeline.inbox, pipeline.processed, pipeline.failed] {
            try files.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        let names = try files.contentsOfDirectory(atPath: pipeline.inbox).filter { !$0.hasPrefix(".") }.sorted()
        let stage = IngestStage(connection: connection, outDirectory: outDirectory, progress: progress)
        for name in names {
            let path = (pipeline.inbox as NSString).appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            guard files.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            let checksum = try Self.sha256(of: path)
            if let seen = try connection.execute(
                "SELECT source, finished_at::text FROM ingests WHERE sha256 = $1 ORDER BY id LIMIT 1", [checksum]).rows.first {
                summary.skipped.append("\(name) (same content as \(seen[0]!), ingested \(seen[1]!))")
                try move(path, to: pipeline.processed)
                continue
            }
            let file = try stage.ingest(path, sha256: checksum)
            summary.ingest.files.append(file)
            CrashPoint.reach("run-before-move")
            try move(path, to: file.failure == nil ? pipeline.processed : pipeline.failed)
        }
    }

    /// Moves `path` into `folder`, never over an existing file (a suffix keeps both).
    private func move(_ path: String, to folder: String) throws {
        let name = (path as NSString).lastPathComponent
        var target = (folder as NSString).appendingPathComponent(name)
        var attempt = 1
        while FileManager.default.fileExists(atPath: target) {
            attempt += 1
            target = (folder as NSString).appendingPathComponent("\(name).\(attempt)")
        }
        try FileManager.default.moveItem(atPath: path, toPath: target)
    }

    private func writeReport(_ summary: RunSummary) throws -> String {
        let folder = (outDirectory as NSString).appendingPathComponent("runs")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = (folder as NSString).appendingPathComponent("run-\(summary.runId).json")
        _ = try InvoiceFiles.replace(path, with: summary.json.prettyPrinted + "\n")
        return path
    }

    static func sha256(of path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ExportReadError(file: path, line: nil, message: "cannot open")
        }
        defer { try? handle.close() }
        var hash = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            chunk.withUnsafeBytes { hash.update($0) }
        }
        return hash.hexDigest()
    }
}
