import ArgumentParser
import Foundation
import TallyCore
import TallyStages

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The nightly job: apply the catalog, ingest new exports from the inbox, close ended periods.",
        discussion: """
            Runs the stages of a pipeline file (pipelines/<name>/pipeline.json) in order and records the run \
            in the database. Each export is moved to processed/ or failed/ after its transaction commits; an \
            export already ingested (same content) is moved to processed/ without being read again. Writes the \
            run's reconciliation to <out>/runs/run-<id>.json. Exits 0, 3 when events were rejected, 1 when a \
            stage or an export failed, 4 when another run holds the lock.
            """)
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The pipeline file.") var pipelineFile: String
    @Option(help: ArgumentHelp("Close the periods that ended before this instant (default: now).", valueName: "RFC3339"))
    var asOf: String?
    @Flag(help: "Without --as-of: close every ended period, however many per customer.") var backfill = false
    @Flag(help: "Print the run's reconciliation as JSON on stdout.") var json = false
    @Flag(help: "Wait for another running tally instead of exiting with code 4.") var wait = false

    func validate() throws {
        if let asOf, TimestampParser.parseRFC3339(Substring(asOf)) == nil {
            throw ValidationError("--as-of must be an RFC 3339 date-time with offset, e.g. 2026-11-01T00:00:00Z (got \"\(asOf)\")")
        }
    }

    func run() throws {
        let pipeline: PipelineFile
        do { pipeline = try PipelineFile(path: pipelineFile) } catch {
            Terminal.error("\(error)")
            throw ExitCode(ExitStatus.usage)
        }
        try Terminal.run {
            let configuration = TallyConfiguration(
                databaseURL: global.databaseURL ?? pipeline.databaseURL, home: global.home ?? pipeline.home,
                out: global.out ?? pipeline.out)
            let database = try configuration.open()
            try database.lockRuns(wait: wait)
            let now = UTCInstant.now
            let asOf = asOf.flatMap { TimestampParser.parseRFC3339(Substring($0)) } ?? now
            let started = Date()
            let stage = RunStage(database: database, pipeline: pipeline, outDirectory: configuration.outDirectory) { progress in
                Terminal.ingestProgress(progress, since: started)
            }
            let summary = try stage.run(asOf: asOf, now: now, backfill: backfill || self.asOf != nil)
            Terminal.clearProgress()
            report(summary)
            if json { Terminal.printJSON(summary.json) }
            switch summary.outcome {
            case .succeeded: break
            case .rejects: throw ExitCode(ExitStatus.rejected)
            case .failed: throw ExitCode(ExitStatus.failure)
            }
        }
    }

    private func report(_ summary: RunSummary) {
        Terminal.say("run \(summary.runId) of pipeline \(pipelineFile)")
        if let catalog = summary.catalog {
            Terminal.say("catalog: \(catalog.created.count) created, \(catalog.updated.count) updated, \(catalog.unchanged) unchanged")
        }
        for skipped in summary.skipped { Terminal.say("skipped, already ingested: \(skipped)") }
        for file in summary.ingest.files {
            if let failure = file.failure {
                Terminal.say("FAILED, moved to failed/: \(failure)")
            } else {
                Terminal.say("\((file.path as NSString).lastPathComponent): read \(file.read), accepted \(file.accepted), duplicates \(file.duplicates), rejected \(file.rejected)\(file.late > 0 ? ", late \(file.late)" : "")")
            }
        }
        let total = summary.ingest.total
        Terminal.say("reconciliation: read \(total.read) = accepted \(total.accepted) + duplicates \(total.duplicates) + rejected \(total.rejected); late \(total.late)")
        for late in total.latePeriods {
            Terminal.say("late: \(late.events) event(s) of \(late.customer) in \(late.period), already closed: reprocess \(late.period)")
        }
        if let close = summary.close {
            for invoice in close.issued {
                Terminal.say("issued \(invoice.number)  \(invoice.customer)  \(invoice.period)  fees \(Close.money(invoice.feesAmountCents, invoice.currency))\(Close.adjustments(invoice))  credits \(Close.money(invoice.prepaidCreditAmountCents, invoice.currency))  total \(Close.money(invoice.totalAmountCents, invoice.currency))")
            }
            if let failure = close.fileFailure {
                Terminal.say("invoice files not all written (the invoices are committed; the next run writes them): \(failure)")
            }
            for failure in close.notIssued {
                Terminal.say("NOT ISSUED \(failure.customer)  \(failure.period): \(failure.reason)")
            }
            let credits = close.issued.reduce(Int128(0)) { $0 + Int128($1.prepaidCreditAmountCents) }
            Terminal.say("close: \(close.issued.count) invoice(s) issued, \(close.alreadyClosed.count) period(s) already closed, credits applied \(credits) (minor units)")
            for late in close.latePeriods where !total.latePeriods.contains(late) {
                Terminal.say("late: \(late.events) event(s) of \(late.customer) arrived after its \(late.period) invoice: reprocess \(late.period)")
            }
            for usage in close.unpriced {
                Terminal.say("warning: unpriced usage: \(usage.externalSubscriptionId) \(usage.metricCode) \(usage.filterValues.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")): \(usage.units) units billed at 0")
            }
        }
        if let failure = summary.failure { Terminal.error("run stopped: \(failure)") }
        if let path = summary.reportPath { Terminal.say("report: \(path)") }
        Terminal.say("outcome: \(summary.outcome.rawValue)")
    }
}
