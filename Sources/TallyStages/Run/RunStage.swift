import Foundation
import TallyCore
import TallyOutputs
import TallyReaders
import TallyStore

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
        if failure != nil || !ingest.failedFiles.isEmpty || close?.notIssued.isEmpty == false || close?.fileFailure != nil {
            return .failed
        }
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
            var closed = close.json.objectValue ?? JSONObject()
            let issued = close.issued
            closed["credits_applied_cents"] = .number(String(issued.reduce(Int128(0)) { $0 + Int128($1.prepaidCreditAmountCents) }))
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
    let database: TallyDatabase
    let pipeline: PipelineFile
    let outDirectory: String
    let progress: (@Sendable (IngestProgress) -> Void)?

    public init(database: TallyDatabase, pipeline: PipelineFile, outDirectory: String,
                progress: (@Sendable (IngestProgress) -> Void)? = nil) {
        self.database = database
        self.pipeline = pipeline
        self.outDirectory = outDirectory
        self.progress = progress
    }

    private var runs: RunStore { database.store.runs }

    /// Runs the pipeline, closing the periods that ended before `asOf`; `backfill` as for
    /// `CloseStage.close`.
    public func run(asOf: UTCInstant, now: UTCInstant, backfill: Bool = true) throws -> RunSummary {
        var summary = RunSummary()
        // The run lock is held: a run still marked running was killed before it could say so.
        try runs.markAbandonedRunsInterrupted()
        summary.runId = try runs.start(pipeline: pipeline.name, asOf: asOf)
        do {
            if let catalog = pipeline.catalog {
                summary.catalog = try stage("catalog", run: summary.runId) {
                    let report = try CatalogStage.apply(file: catalog, to: database, now: now)
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
                let close = try CloseStage(database: database, outDirectory: outDirectory).close(.endedBefore(asOf), now: now, backfill: backfill)
                return (close, ["issued": close.issued.count, "not_issued": close.notIssued.count, "already_closed": close.alreadyClosed.count,
                                "unpriced": close.unpriced.count, "files_written": close.filesWritten.count])
            }
        } catch {
            summary.failure = Interruption.pending.map(\.description) ?? "\(error)"
        }
        summary.reportPath = try RunReportFile.write(summary.json, runId: summary.runId, outDirectory: outDirectory)
        try runs.finish(run: summary.runId, outcome: summary.outcome.rawValue, summary: summary.json)
        return summary
    }

    /// Runs one stage and records its start, end, counts and outcome in `run_stages`.
    private func stage<T>(_ name: String, run: Int64, _ body: () throws -> (T, [String: Int])) throws -> T {
        try runs.startStage(run: run, stage: name)
        do {
            let (value, counts) = try body()
            try runs.finishStage(run: run, stage: name, counts: counts)
            return value
        } catch {
            _ = try? runs.failStage(run: run, stage: name, message: "\(error)")
            throw error
        }
    }

    private func ingestInbox(_ summary: inout RunSummary) throws {
        let files = FileManager.default
        for folder in [pipeline.inbox, pipeline.processed, pipeline.failed] {
            try files.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        let names = try files.contentsOfDirectory(atPath: pipeline.inbox).filter { !$0.hasPrefix(".") }.sorted()
        let stage = IngestStage(database: database, outDirectory: outDirectory, progress: progress)
        for name in names {
            let path = (pipeline.inbox as NSString).appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            guard files.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            let checksum: String
            do {
                checksum = try ExportChecksum.sha256(of: path)
            } catch {
                summary.ingest.files.append(IngestFileSummary(path: path, failure: error.description))
                try move(path, to: pipeline.failed)
                continue
            }
            if let seen = try database.store.events.ingest(withChecksum: checksum) {
                summary.skipped.append("\(name) (same content as \(seen.source), ingested \(seen.finishedAt))")
                try move(path, to: pipeline.processed)
                continue
            }
            let file = try stage.ingest(path, sha256: checksum)
            summary.ingest.files.append(file)
            CrashPoint.runBeforeMove.reach()
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
}
