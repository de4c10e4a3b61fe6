import TallyCore
import TallyOutputs
import TallyStore

extension IngestStage {
    /// Copies the valid events into a staging table, each with its usage bucket, then stores them
    /// deduplicated: the first line of each key wins; a later line is a duplicate when it means
    /// the same as the event holding its key, and a `duplicate_conflict` reject otherwise.
    func loadStaged(_ path: String, ingestId: Int64, rejects: RejectsFile, context: Context) throws -> IngestFileSummary {
        var file = IngestFileSummary(path: path)
        let months = MonthlyUsage(timezones: context.timezones, metrics: context.validator.catalog.metrics)
        var staged = 0
        try store.events.stage { add in
            try Self.readEvents(path, into: &file, rejects: rejects, validator: context.validator, progress: progress) { record, event, bucket in
                let metric = context.validator.catalog.metrics[event.code]
                try add(EventStore.StagedEvent(
                    line: record.line, event: event, raw: record.raw,
                    month: try Self.month(of: event, in: months, context: context), filterValues: bucket,
                    aggregation: metric?.aggregation ?? .sumAgg,
                    microsecondsIntoMonth: months.microsecondsIntoMonth(of: event) ?? 0,
                    arrival: MonthlyUsage.arrival(ingestId: ingestId, line: record.line),
                    unique: metric?.uniqueValue(of: event)))
                staged += 1
            }
        }
        file.accepted = try store.events.storeStaged(ingestId: ingestId)
        if file.accepted < staged {
            var conflicts = 0
            file.duplicates = try store.events.classifyRefused(ingestId: ingestId) { conflict in
                let subscription = context.subscriptionNames[conflict.subscriptionId] ?? String(conflict.subscriptionId)
                let key = "transaction_id \(JSONValue.quoted(conflict.transactionId)) of subscription \(JSONValue.quoted(subscription))"
                let message = conflict.heldByThisExport
                    ? "\(key) was first seen on line \(conflict.holderLine) of this file with different content: give corrected events new transaction ids"
                    : "\(key) is already stored, from \(conflict.holderSource) line \(conflict.holderLine), with different content: give corrected events new transaction ids"
                try rejects.write(line: conflict.line, reason: .duplicateConflict, message: message, raw: conflict.raw)
                conflicts += 1
            }
            if conflicts > 0 { file.rejectedByReason[.duplicateConflict, default: 0] += conflicts }
        }
        try store.usage.addStaged()
        file.latePeriods = try store.usage.latePeriods(ingestId: ingestId, datedSubscriptionIds: context.datedSubscriptionIds)
        return file
    }
}
