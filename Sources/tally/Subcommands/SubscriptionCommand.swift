import ArgumentParser
import TallyCore
import TallyStages

struct SubscriptionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "subscription", abstract: "Act on one subscription.", subcommands: [Terminate.self, ChangePlan.self])

    /// What both subcommands take: the subscription, the instant and the lock's behaviour.
    struct Target: ParsableArguments {
        @OptionGroup var global: GlobalOptions
        @Argument(help: ArgumentHelp("The subscription's external_id.", valueName: "external_id")) var externalId: String
        @Option(help: ArgumentHelp("When (default: now).", valueName: "RFC3339")) var at: String?
        @Flag(help: "Wait for another running tally instead of exiting with code 4.") var wait = false

        func validate() throws {
            if let at, TimestampParser.parseRFC3339(Substring(at)) == nil {
                throw ValidationError("--at must be an RFC 3339 date-time with offset, e.g. 2026-10-14T00:00:00Z (got \"\(at)\")")
            }
        }

        /// Opens the database, takes the run lock and calls `body` with the instant; a refusal is
        /// printed and exits with 2, as a bad option does.
        func run(_ body: @escaping (TallyDatabase, UTCInstant) throws -> Void) throws {
            try Terminal.run {
                let database = try global.configuration.open()
                try database.lockRuns(wait: wait)
                do {
                    try body(database, at.flatMap { TimestampParser.parseRFC3339(Substring($0)) } ?? UTCInstant.now)
                } catch let error as SubscriptionCommandError {
                    Terminal.error(error.description)
                    throw ExitCode(ExitStatus.usage)
                }
            }
        }
    }

    struct Terminate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "End a subscription, as Lago's terminate call does: its last invoice bills up to that instant.",
            discussion: """
                The fee of its last period is prorated to the termination day; usage counts up to the instant, and \
                events after it are rejected (outside_subscription). Applying the catalog file again keeps the \
                termination. Refused when stored events lie after the instant or that period is already closed.
                """)
        @OptionGroup var target: Target

        func run() throws {
            let externalId = target.externalId
            try target.run { database, instant in
                let report = try SubscriptionTermination.terminate(externalId: externalId, at: instant, database: database)
                Terminal.say(report.changed
                    ? "terminated \(externalId) at \(report.at): its last invoice is for \(report.period)"
                    : "\(externalId) was already terminated at \(report.at): nothing changed")
            }
        }
    }

    struct ChangePlan: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "change-plan",
            abstract: "Move a subscription to another plan at an instant, as Lago's upgrade does: each part is billed with its own plan.",
            discussion: """
                The subscription's part on its current plan ends at the instant, its fee prorated to the day before; \
                the part on the new plan starts there, its fee prorated from that day; usage counts on the plan of the \
                part it falls in. Afterwards the catalog file must give the new plan_code. Refused when stored events \
                lie at or after the instant or that period is already closed.
                """)
        @OptionGroup var target: Target
        @Option(help: ArgumentHelp("The plan to move to.", valueName: "code")) var plan: String

        func run() throws {
            let (externalId, plan) = (target.externalId, plan)
            try target.run { database, instant in
                let report = try SubscriptionTermination.changePlan(externalId: externalId, to: plan, at: instant, database: database)
                Terminal.say("moved \(externalId) to plan \(plan) at \(report.at): the invoice for \(report.period) bills both parts")
            }
        }
    }
}
