import TallyCore
import TallyReaders

/// The reconciliation of one export file: read = accepted + duplicates + rejected.
public struct IngestFileSummary: Sendable {
    public let path: String
    public var format: ExportFormat?
    public var read = 0
    public var accepted = 0
    public var duplicates = 0
    public var rejectedByReason: [RejectReason: Int] = [:]
    /// Accepted events in already-closed periods, by customer and period: reprocess those periods.
    public var latePeriods: [LatePeriod] = []
    /// Where this file's rejects were written, when it had any.
    public var rejectsFile: String?
    /// Why the whole file was not ingested (nothing of it was stored).
    public var failure: String?

    public init(path: String, failure: String? = nil) {
        self.path = path
        self.failure = failure
    }

    public var rejected: Int { rejectedByReason.values.reduce(0, +) }
    /// Accepted events that fall in already-closed periods (counted among `accepted`).
    public var late: Int { latePeriods.reduce(0) { $0 + $1.events } }
    public var reconciles: Bool { read == accepted + duplicates + rejected }
}

/// The reconciliation of one `tally ingest` run, per file and in total.
public struct IngestSummary: Sendable {
    public var files: [IngestFileSummary] = []

    public init(files: [IngestFileSummary] = []) { self.files = files }

    /// Counts over the files that were ingested (failed files stored nothing and count nothing).
    public var total: IngestFileSummary {
        var total = IngestFileSummary(path: "total")
        for file in files where file.failure == nil {
            total.read += file.read
            total.accepted += file.accepted
            total.duplicates += file.duplicates
            total.rejectedByReason.merge(file.rejectedByReason, uniquingKeysWith: +)
            total.latePeriods += file.latePeriods
        }
        return total
    }

    public var failedFiles: [IngestFileSummary] { files.filter { $0.failure != nil } }

    /// The `--json` object of `tally ingest` (README).
    public var json: JSONValue {
        var object = Self.counts(total)
        object["files"] = .array(files.map { file in
            var entry = Self.counts(file)
            entry["file"] = .string(file.path)
            if let format = file.format { entry["format"] = .string(format.rawValue) }
            if let rejects = file.rejectsFile { entry["rejects_file"] = .string(rejects) }
            if let failure = file.failure { entry["error"] = .string(failure) }
            return .object(entry)
        })
        return .object(object)
    }

    private static func counts(_ file: IngestFileSummary) -> JSONObject {
        let reasons = file.rejectedByReason.filter { $0.value > 0 }.sorted { $0.key.rawValue < $1.key.rawValue }
        return JSONObject([
            ("read", .number(String(file.read))),
            ("accepted", .number(String(file.accepted))),
            ("duplicates", .number(String(file.duplicates))),
            ("rejected", .number(String(file.rejected))),
            ("rejected_by_reason", .object(JSONObject(reasons.map { ($0.key.rawValue, .number(String($0.value))) }))),
            ("late", .number(String(file.late))),
            ("late_periods", LatePeriod.json(file.latePeriods)),
        ])
    }
}
