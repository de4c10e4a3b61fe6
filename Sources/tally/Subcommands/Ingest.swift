import ArgumentParser
import Foundation
import TallyCore
import TallyStages

struct Ingest: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate export files (CSV, NDJSON, or .gz of either) and store their events.",
        discussion: "Each file is one transaction. Rejected events go to <out>/rejects/<file>.rejects.ndjson. Exits 3 when events were rejected, 1 when a file could not be ingested.")
    @OptionGroup var global: GlobalOptions
    @Flag(help: "Print a JSON summary on stdout.") var json = false
    @Flag(help: "Wait for another running tally instead of exiting with code 4.") var wait = false
    @Argument(help: "Export files, ingested in the order given.") var files: [String]

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("name at least one export file") }
        for file in files {
            if let problem = IngestStage.formatProblem(of: file) { throw ValidationError(problem) }
        }
    }

    func run() throws {
        try Terminal.run {
            let configuration = global.configuration
            let database = try configuration.open()
            try database.lockRuns(wait: wait)
            let started = Date()
            let stage = IngestStage(database: database, outDirectory: configuration.outDirectory) { progress in
                Terminal.ingestProgress(progress, since: started)
            }
            let summary = try stage.ingest(files)
            Terminal.clearProgress()
            report(summary)
            if json { Terminal.printJSON(summary.json) }
            if !summary.failedFiles.isEmpty { throw ExitCode(ExitStatus.failure) }
            if summary.total.rejected > 0 { throw ExitCode(ExitStatus.rejected) }
        }
    }

    private func report(_ summary: IngestSummary) {
        let width = max(5, summary.files.map(\.path.count).max() ?? 0)
        func line(_ file: IngestFileSummary) -> String {
            let name = file.path.padding(toLength: width, withPad: " ", startingAt: 0)
            if let failure = file.failure { return "\(name)  FAILED, nothing stored: \(failure)" }
            var text = "\(name)  read \(file.read)  accepted \(file.accepted)  duplicates \(file.duplicates)  rejected \(file.rejected)"
            if file.late > 0 { text += "  (late \(file.late))" }
            let reasons = file.rejectedByReason.sorted { $0.key < $1.key }.map { "\($0.key.rawValue) \($0.value)" }
            if !reasons.isEmpty { text += " (\(reasons.joined(separator: ", ")))" }
            return text
        }
        summary.files.forEach { Terminal.say(line($0)) }
        let total = summary.total
        Terminal.say(line(total))
        Terminal.say(total.reconciles
            ? "reconciled: read \(total.read) = accepted \(total.accepted) + duplicates \(total.duplicates) + rejected \(total.rejected)"
            : "NOT RECONCILED: read \(total.read) ≠ accepted + duplicates + rejected")
        for file in summary.files {
            if let rejects = file.rejectsFile { Terminal.say("rejects of \(file.path): \(rejects)") }
        }
        let late = Dictionary(grouping: total.latePeriods, by: \.period)
        for (period, customers) in late.sorted(by: { $0.key < $1.key }) {
            let names = customers.map { "\($0.customer) (\($0.events))" }.joined(separator: ", ")
            Terminal.say("late: \(customers.reduce(0) { $0 + $1.events }) accepted event(s) fall in \(period), already closed for \(names): they are billed when \(period) is reprocessed")
        }
    }
}
