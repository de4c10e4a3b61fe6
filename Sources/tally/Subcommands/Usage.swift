import ArgumentParser
import TallyCore
import TallyStages

struct Usage: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a customer's usage in a period as Lago's customer_usage object (stdout).",
        discussion: """
            The period is the calendar month containing --as-of (default now) in the customer's timezone; \
            every stored event of it counts. Charges are rated as close will rate them; the subscription fee \
            is billed at close. Exit 2 for an unknown customer or a subscription not the customer's, \
            1 when no subscription is active at that instant.
            """)
    @OptionGroup var global: GlobalOptions
    @Option(help: ArgumentHelp("The customer's external_id.", valueName: "id")) var customer: String
    @Option(help: ArgumentHelp("Only this subscription of the customer.", valueName: "id")) var subscription: String?
    @Option(help: ArgumentHelp("The instant whose period to show (default: now).", valueName: "RFC3339")) var asOf: String?

    func validate() throws {
        if let asOf, TimestampParser.parseRFC3339(Substring(asOf)) == nil {
            throw ValidationError("--as-of must be an RFC 3339 date-time with offset, e.g. 2026-10-20T00:00:00Z (got \"\(asOf)\")")
        }
    }

    func run() throws {
        try Terminal.run {
            let database = try global.configuration.open()
            let instant = asOf.flatMap { TimestampParser.parseRFC3339(Substring($0)) } ?? .now
            let document: CustomerUsageDocument
            do {
                document = try UsageStage(database: database).usage(customer: customer, subscription: subscription, asOf: instant)
            } catch let error as UsageError {
                Terminal.error(error.description)
                throw ExitCode(error.kind == .unknown ? ExitStatus.usage : ExitStatus.failure)
            }
            Terminal.printJSON(document.json)
            let subscriptions = Set(document.charges.map(\.externalSubscriptionId)).sorted().joined(separator: ", ")
            Terminal.say("usage of \(customer) in \(document.period.label) (\(document.period.timezone), \(document.fromDatetime) to \(document.toDatetime)), subscription(s) \(subscriptions): charges \(Close.money(document.amountCents, document.currency)); the subscription fee is billed at close")
        }
    }
}
