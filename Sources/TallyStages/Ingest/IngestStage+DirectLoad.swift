import TallyCore
import TallyOutputs
import TallyStore

extension IngestStage {
    /// Copies the valid events straight into `events` and adds their summed usage to the rollups.
    /// A thread of its own reads, validates and encodes the file in runs of rows
    /// (`KeyOrderedEventRows`) while this one sorts each run and sends it. Throws a refusal, or
    /// PostgreSQL's unique violation, when a key repeats; a first run whose keys are already
    /// stored (the export was ingested before) refuses before anything is sent.
    func loadDirect(_ path: String, ingestId: Int64, rejects: RejectsFile, context: Context) throws -> IngestFileSummary {
        // Owned by the read-ahead thread until `next()` returns nil.
        var file = IngestFileSummary(path: path)
        var usage = MonthlyUsage(timezones: context.timezones, metrics: context.validator.catalog.metrics,
                                 uniqueValueLimit: Tuning.directLoadUniqueValues)
        let progress = progress, rowsPerRun = rowsPerRun
        let runs = ReadAhead<KeyOrderedEventRows>(capacity: Tuning.readAheadRuns) { send in
            var run = KeyOrderedEventRows(rowLimit: rowsPerRun)
            try Self.readEvents(path, into: &file, rejects: rejects, validator: context.validator, progress: progress) { record, event, bucket in
                guard usage.add(event, filterValues: bucket, arrival: MonthlyUsage.arrival(ingestId: ingestId, line: record.line)) else {
                    _ = try Self.month(of: event, in: usage, context: context)  // an unknown timezone fails the file
                    throw DirectLoadRefusal.unsummable
                }
                run.append(event, line: record.line, ingestId: ingestId)
                if run.isFull {
                    try send(run)
                    run = KeyOrderedEventRows(rowLimit: rowsPerRun)
                }
            }
            if !run.isEmpty { try send(run) }
        }
        defer { runs.stop() }
        if var first = try runs.next() {
            try first.sortByKey()
            if try store.events.containsAny(first.sampleKeys(limit: 1_000)) { throw DirectLoadRefusal.repeatedKey }
            try store.events.copy { send in
                try send(first)
                first = KeyOrderedEventRows(rowLimit: 0)  // let its memory go
                while var run = try runs.next() {
                    try run.sortByKey()
                    try send(run)
                }
            }
        }
        while try runs.next() != nil {}  // an export without valid events: wait for the reader's end
        file.accepted = usage.totals.values.reduce(0) { $0 + $1.events }
        try store.usage.add(usage)
        file.latePeriods = try store.usage.latePeriods(ingestId: ingestId, datedSubscriptionIds: context.datedSubscriptionIds)
        return file
    }
}
