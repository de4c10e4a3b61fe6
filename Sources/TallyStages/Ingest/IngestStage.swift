import Foundation
import TallyCore
import TallyOutputs
import TallyReaders
import TallyStore

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
/// while their usage is summed for the rollups (`IngestStage+DirectLoad.swift`). That load holds
/// only when no event of the file repeats a stored event or an earlier line: on the first repeat
/// it is rolled back, and the file is read again into a staging table, deduplicated and
/// classified there (`IngestStage+StagedLoad.swift`).
public struct IngestStage {
    let store: Store
    let outDirectory: String
    let progress: (@Sendable (IngestProgress) -> Void)?
    /// Rows per key-ordered run of the direct load (smaller in tests, to span several runs).
    var rowsPerRun = Tuning.ingestRowsPerRun
    /// The catalog as ingest needs it, read on first use: once per `IngestStage` value, which
    /// must therefore not outlive a catalog apply.
    private let catalog = CatalogCache()

    public init(database: TallyDatabase, outDirectory: String, progress: (@Sendable (IngestProgress) -> Void)? = nil) {
        self.store = database.store
        self.outDirectory = outDirectory
        self.progress = progress
    }

    /// Ingests `paths` in order, each after the previous one committed.
    public func ingest(_ paths: [String]) throws -> IngestSummary {
        IngestSummary(files: try paths.map { try ingest($0, sha256: nil) })
    }

    /// Ingests one file, recording its content checksum when given (`tally run` recognises a file
    /// seen before by it). A file that cannot be ingested is returned with `failure` set.
    public func ingest(_ path: String, sha256: String?) throws -> IngestFileSummary {
        try ingest(path, sha256: sha256, context: catalog.context(store, outDirectory: outDirectory))
    }

    /// Reads the catalog on first use, and first finishes what a crashed ingest left in the
    /// rejects folder.
    private final class CatalogCache {
        private var loaded: Context?

        func context(_ store: Store, outDirectory: String) throws -> Context {
            if let loaded { return loaded }
            try RejectsFile.recover(outDirectory: outDirectory) { try store.events.ingestExists($0) }
            let context = try Context(store: store)
            loaded = context
            return context
        }
    }

    /// The catalog as validation and bucketing need it, loaded once per run.
    struct Context {
        let validator: EventValidator
        let subscriptionNames: [Int64: String]
        let timezones: [Int64: String]
        /// Subscriptions billed by weeks or on their anniversary: their late events are found per
        /// dated period (`UsageStore.latePeriods`).
        let datedSubscriptionIds: [Int64]

        init(store: Store) throws {
            let stored = try store.catalog.load()
            datedSubscriptionIds = stored.subscriptions.filter { stored.schedule(of: $0) != nil }.map(\.id)
            let catalog = stored.ingestCatalog
            validator = EventValidator(catalog: catalog)
            subscriptionNames = Dictionary(catalog.allSubscriptions.map { ($0.id, $0.externalId) }, uniquingKeysWith: { $1 })
            timezones = Dictionary(catalog.allSubscriptions.map { ($0.id, $0.billingTimezone) }, uniquingKeysWith: { $1 })
        }
    }

    /// The output folder could not take a file: says what was committed and what to do.
    public struct OutputNotWritable: Error, CustomStringConvertible {
        public let description: String
    }

    /// An event whose subscription's billing timezone this system's timezone database does not
    /// know: its month cannot be told, so its file is not ingested.
    struct UnknownBillingTimezone: Error, CustomStringConvertible {
        let subscription: String
        let timezone: String
        var description: String {
            "subscription \(subscription) is billed in timezone \"\(timezone)\", which this system's timezone database does not know: fix the customer's timezone in the catalog"
        }
    }

    private func ingest(_ path: String, sha256: String?, context: Context) throws -> IngestFileSummary {
        try Interruption.check()
        do {
            return try ingest(path, sha256: sha256, in: context)
        } catch let error as ExportReadError {
            return IngestFileSummary(path: path, failure: error.description)
        } catch let error as UnknownBillingTimezone {
            return IngestFileSummary(path: path, failure: "\(path): \(error)")
        } catch where Store.isRefusedStatement(error) {
            return IngestFileSummary(path: path, failure: "\(path): \(error)")
        }
    }

    private func ingest(_ path: String, sha256: String?, in context: Context) throws -> IngestFileSummary {
        let format = try ExportFormat(path: path)
        var file = IngestFileSummary(path: path)
        var rejectsFile: RejectsFile?
        do {
            try store.transaction {
                let ingestId = try store.events.beginIngest(
                    source: path, path: URL(fileURLWithPath: path).standardizedFileURL.path, format: format.rawValue, sha256: sha256)
                let rejects = RejectsFile(outDirectory: outDirectory, exportPath: path, ingestId: ingestId)
                rejectsFile = rejects
                do {
                    file = try store.savepoint { try loadDirect(path, ingestId: ingestId, rejects: rejects, context: context) }
                } catch let error where Self.refusesDirectLoad(error) {
                    rejects.reset()
                    file = try loadStaged(path, ingestId: ingestId, rejects: rejects, context: context)
                }
                file.rejectsFile = rejects.count > 0 ? rejects.finalPath : nil
                try store.events.finishIngest(ingestId, EventStore.IngestCounts(
                    read: file.read, accepted: file.accepted, duplicates: file.duplicates,
                    rejectedByReason: file.rejectedByReason, latePeriods: file.latePeriods, rejectsFile: file.rejectsFile))
                // The rejects are on disk before the events are committed: both are kept, or neither.
                try rejects.prepare()
                CrashPoint.ingestBeforeCommit.reach()
                try Interruption.check()
            }
        } catch let error as RejectsFileError {
            return IngestFileSummary(path: path, failure: "\(path): nothing was stored: \(error)")
        }
        CrashPoint.ingestAfterCommit.reach()
        do {
            try rejectsFile?.commit()
        } catch {
            throw OutputNotWritable(description: "\(path) was ingested and committed, but \(error); run the same command again to finish it")
        }
        return file
    }

    /// Why the direct load gives way to the staged one.
    enum DirectLoadRefusal: Error {
        /// An event repeats a key: deduplication must classify it.
        case repeatedKey
        /// The usage of a bucket exceeds 38 digits, or the export's distinct unique-count values
        /// exceed what the direct load keeps in memory: SQL aggregates it.
        case unsummable
    }

    private static func refusesDirectLoad(_ error: any Error) -> Bool {
        switch error {
        case is DirectLoadRefusal, is KeyOrderedEventRows.DuplicateKey, is EventStore.KeyAlreadyStored: true
        default: false
        }
    }

    /// Reads the file, writing its rejects, and calls `accept` with each valid event's record, the
    /// event, and the filter values of its usage bucket (JSON text).
    static func readEvents(
        _ path: String, into file: inout IngestFileSummary, rejects: RejectsFile, validator: EventValidator,
        progress: (@Sendable (IngestProgress) -> Void)?, _ accept: (ExportRecord, ValidatedEvent, String) throws -> Void
    ) throws {
        let reader = try ExportReader(path: path)
        file.format = reader.format
        try reader.forEachRecord { record in
            file.read += 1
            if file.read == 1 { CrashPoint.ingestReading.reach() }
            if file.read % Tuning.interruptionCheckInterval == 0 { try Interruption.check() }
            if file.read % Tuning.ingestProgressInterval == 0 {
                progress?(IngestProgress(file: path, records: file.read, bytesRead: reader.bytesRead, fileBytes: reader.fileBytes))
            }
            switch record.content.flatMap({ validator.validate($0) }) {
            case .success(let event):
                try accept(record, event, event.propertiesJSON(only: validator.catalog.metrics[event.code]?.filterValues ?? [:]))
            case .failure(let rejection):
                file.rejectedByReason[rejection.reason, default: 0] += 1
                try rejects.write(line: record.line, reason: rejection.reason, message: rejection.message, raw: record.rawBytes,
                                  truncated: record.isTruncated)
            }
        }
    }

    /// The month of `event`'s usage bucket; throws when its subscription's timezone is unknown here.
    static func month(of event: ValidatedEvent, in usage: MonthlyUsage, context: Context) throws -> CalendarMonth {
        guard let month = usage.month(of: event) else {
            throw UnknownBillingTimezone(subscription: context.subscriptionNames[event.subscriptionId] ?? String(event.subscriptionId),
                                         timezone: context.timezones[event.subscriptionId] ?? "?")
        }
        return month
    }
}

extension IngestStage {
    /// Why `path` cannot be an export, judging by its name; nil when it names a CSV or NDJSON file.
    public static func formatProblem(of path: String) -> String? {
        do {
            _ = try ExportFormat(path: path)
            return nil
        } catch {
            return error.description
        }
    }
}
