import ArgumentParser
import TallyCore
import TallyKit

struct Usage: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a customer's usage in the open period as Lago's customer_usage object.",
        discussion: "The period is the calendar month containing --as-of (default now) in the customer's timezone. Charges are rated as close would rate them.")
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
            let connection = try global.configuration.connect()
            let instant = asOf.flatMap { TimestampParser.parseRFC3339(Substring($0)) } ?? .now
            do {
                Terminal.printJSON(try CustomerUsage(connection: connection).document(customer: customer, subscription: subscription, asOf: instant))
            } catch let error as UsageError {
                Terminal.error(error.description)
                throw ExitCode(error.kind == .unknown ? ExitStatus.usage : ExitStatus.failure)
            }
        }
    }
}
