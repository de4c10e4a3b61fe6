import ArgumentParser
import TallyCore
import TallyStages

struct SubscriptionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "subscription", abstract: "Act on one subscription.", subcommands: [Terminate.self])

    struct Terminate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "End a subscription, as Lago's terminate call does: its last invoice bills up to that instant.",
            discussion: """
                The fee of its last period is prorated to the termination day; usage counts up to the instant, and \
                events after it are rejected (outside_subscription). Applying the catalog file again keeps the \
                termination. Refused when stored events lie after the instant or that period is already closed.
                """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: ArgumentHelp("The subscription's external_id.", valueName: "external_id")) var externalId: String
        @Option(help: ArgumentHelp("When it ends (default: now).", valueName: "RFC3339")) var at: String?
        @Flag(help: "Wait for another running tally instead of exiting with code 4.") var wait = false

        func validate() throws {
            if let at, TimestampParser.parseRFC3339(Substring(at)) == nil {
                throw ValidationError("--at must be an RFC 3339 date-time with offset, e.g. 2026-10-14T00:00:00Z (got \"\(at)\")")
            }
        }

        func run() throws {
            try Terminal.run {
                let database = try global.configuration.open()
                try database.lockRuns(wait: wait)
                let instant = at.flatMap { TimestampParser.parseRFC3339(Substring($0)) } ?? UTCInstant.now
                do {
                    let report = try SubscriptionTermination.terminate(externalId: externalId, at: instant, database: database)
                    Terminal.say(report.changed
                        ? "terminated \(externalId) at \(report.terminatedAt): its last invoice is for \(report.lastPeriod)"
                        : "\(externalId) was already terminated at \(report.terminatedAt): nothing changed")
                } catch let error as TerminationError {
                    Terminal.error(error.description)
                    throw ExitCode(ExitStatus.usage)
                }
            }
        }
    }
}
