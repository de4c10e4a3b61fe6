import ArgumentParser
import Foundation
import TallyCore
import TallyStages

struct Reprocess: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Re-rate a closed period from the stored events (late ones included) and reissue the invoices that change.",
        discussion: """
            An invoice whose fees come out the same stays as it is. Any other is voided (it keeps its number), \
            its wallet credits are returned, and a new invoice is issued with the customer's next number. \
            Each subscription is rated with the plan version the period was first closed with; --reprice rates \
            with the current ones. --dry-run prints the difference and the plan versions, invoice by invoice, \
            and writes nothing.
            """)
    @OptionGroup var global: GlobalOptions
    @Option(help: ArgumentHelp(
        "The calendar month to reprocess (in each customer's timezone), or the billing day of invoices of weekly or anniversary periods.",
        valueName: "YYYY-MM|YYYY-MM-DD"))
    var period: String
    @Option(help: ArgumentHelp("Only this customer's invoice.", valueName: "external_id"))
    var customer: String?
    @Flag(help: "Print what would change; write nothing.") var dryRun = false
    @Flag(help: "Rate with the plans' current versions instead of those the period was first closed with.") var reprice = false
    @Flag(help: "Print a JSON summary on stdout.") var json = false
    @Flag(help: "Wait for another running tally instead of exiting with code 4.") var wait = false

    func validate() throws {
        if Close.month(period) == nil && DatedPeriod.day(ofLabel: period) == nil {
            throw ValidationError("--period must be YYYY-MM, e.g. 2026-10, or a billing day YYYY-MM-DD, e.g. 2026-10-15 (got \"\(period)\")")
        }
    }

    func run() throws {
        try Terminal.run {
            let configuration = global.configuration
            let database = try configuration.open()
            try database.lockRuns(wait: wait)
            let summary: ReprocessSummary
            do {
                summary = try ReprocessStage(database: database, outDirectory: configuration.outDirectory)
                    .reprocess(period: period, customer: customer, dryRun: dryRun, reprice: reprice)
            } catch let error as ReprocessError {
                if case .unknownCustomer = error {
                    Terminal.error(error.description)
                    throw ExitCode(ExitStatus.usage)
                }
                throw error
            }
            report(summary, out: configuration.outDirectory)
            if json { Terminal.printJSON(summary.json) }
            if !summary.notReprocessed.isEmpty {
                Terminal.error("\(summary.notReprocessed.count) invoice(s) could not be re-rated and stay as they are (see above)")
                throw ExitCode(ExitStatus.failure)
            }
        }
    }

    private func report(_ summary: ReprocessSummary, out: String) {
        for invoice in summary.invoices {
            let money = { (cents: Int64) in Close.money(cents, invoice.currency) }
            switch invoice.outcome {
            case .unchanged:
                Terminal.say("unchanged \(invoice.oldNumber)  \(invoice.customer)  \(invoice.period)  total \(money(invoice.old.totalAmountCents))")
            case .reissued:
                Terminal.say("reissued \(invoice.oldNumber) → \(invoice.number)  \(invoice.customer)  \(invoice.period)  (\(invoice.oldNumber) voided, its credits returned)")
            case .wouldReissue:
                Terminal.say("would reissue \(invoice.oldNumber)  \(invoice.customer)  \(invoice.period)")
            }
            if summary.dryRun {
                for plan in invoice.plans { Terminal.say("  \(plan)") }
            }
            if invoice.outcome == .unchanged { continue }
            Terminal.say("  fees \(money(invoice.old.feesAmountCents)) → \(money(invoice.new.feesAmountCents))"
                + "  credits \(money(invoice.old.prepaidCreditAmountCents)) → \(money(invoice.new.prepaidCreditAmountCents))"
                + "  total \(money(invoice.old.totalAmountCents)) → \(money(invoice.new.totalAmountCents))")
            for change in invoice.changes {
                Terminal.say("  " + Self.describe(change, money: money))
            }
        }
        for failure in summary.notReprocessed {
            Terminal.say("NOT REPROCESSED \(failure.customer)  \(failure.period): \(failure.reason)")
        }
        for customer in summary.notClosed {
            Terminal.say("not closed yet: \(customer) has no invoice for \(summary.period): run tally close --period \(summary.period)")
        }
        for usage in summary.unpriced {
            let values = usage.filterValues.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
            Terminal.say("warning: unpriced usage: subscription \(usage.externalSubscriptionId), metric \(usage.metricCode), \(values.isEmpty ? "no filter values" : values): \(usage.units) units billed at 0 (the charge has no default price)")
        }
        let changed = summary.invoices.filter { $0.outcome != .unchanged }.count
        let unchanged = summary.invoices.count - changed
        if summary.dryRun {
            Terminal.say("dry run: \(changed) invoice(s) would be reissued, \(unchanged) unchanged; nothing was written")
        } else if changed == 0 {
            Terminal.say("nothing changed: \(unchanged) invoice(s) re-rated to the same fees")
        } else {
            Terminal.say("\(changed) invoice(s) reissued, \(unchanged) unchanged; files in \(out)/invoices/\(summary.period)/")
        }
    }

    /// `changed  sub-a charge ai_tokens small-input: units 5000000 → 9000000, events 1 → 2, amount 5.00 USD → 9.00 USD`.
    static func describe(_ change: FeeChange, money: (Int64) -> String) -> String {
        let bucket = switch DraftFee.Kind(rawValue: change.feeType) {
        case .subscription?: "subscription fee \(change.itemCode)"
        case .commitment?: "minimum commitment \(change.itemCode)"
        case .chargeTrueUp?: "charge \(change.itemCode) true-up"
        case .charge?, nil: "charge \(change.itemCode) \(change.filterInvoiceDisplayName ?? change.filters?.serialized ?? "(default)")"
        }
        let what = "\(change.kind.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)) \(change.externalSubscriptionId) \(bucket)"
        switch (change.before, change.after) {
        case (let before?, let after?):
            return "\(what): units \(before.units) → \(after.units), events \(before.eventsCount) → \(after.eventsCount), amount \(money(before.amountCents)) → \(money(after.amountCents))"
        case (let figures?, nil), (nil, let figures?):
            return "\(what): units \(figures.units), events \(figures.eventsCount), amount \(money(figures.amountCents))"
        case (nil, nil):
            return what
        }
    }
}
