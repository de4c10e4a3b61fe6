import ArgumentParser
import Foundation
import TallyCore
import TallyStages

struct Close: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Close billing periods: rate usage, apply wallet credits, issue invoices (PostgreSQL and JSON).",
        discussion: """
            With no option, closes every period that ended before now. Closing a period again changes nothing. \
            Invoices go to <out>/invoices/<YYYY-MM>/<number>.json with a summary.csv per period.
            """)
    @OptionGroup var global: GlobalOptions
    @Option(help: ArgumentHelp("Close this calendar month (in each customer's timezone).", valueName: "YYYY-MM"))
    var period: String?
    @Option(help: ArgumentHelp("Close every period that ended before this instant.", valueName: "RFC3339"))
    var asOf: String?
    @Flag(help: "With neither --period nor --as-of: issue every ended period, however many per customer.") var backfill = false
    @Flag(help: "Print a JSON summary on stdout.") var json = false
    @Flag(help: "Wait for another running tally instead of exiting with code 4.") var wait = false

    func validate() throws {
        if period != nil, asOf != nil { throw ValidationError("give --period or --as-of, not both") }
        if let period, Self.month(period) == nil { throw ValidationError("--period must be YYYY-MM, e.g. 2026-10 (got \"\(period)\")") }
        if let asOf, TimestampParser.parseRFC3339(Substring(asOf)) == nil {
            throw ValidationError("--as-of must be an RFC 3339 date-time with offset, e.g. 2026-11-01T00:00:00Z (got \"\(asOf)\")")
        }
    }

    func run() throws {
        try Terminal.run {
            let configuration = global.configuration
            let database = try configuration.open()
            try database.lockRuns(wait: wait)
            let now = UTCInstant.now
            let scope: CloseScope
            if let period, let (year, month) = Self.month(period) {
                scope = .month(year: year, month: month)
            } else {
                scope = .endedBefore(asOf.flatMap { TimestampParser.parseRFC3339(Substring($0)) } ?? now)
            }
            let summary = try CloseStage(database: database, outDirectory: configuration.outDirectory)
                .close(scope, now: now, backfill: backfill || period != nil || asOf != nil)
            report(summary, out: configuration.outDirectory)
            if json { Terminal.printJSON(summary.json) }
            if let failure = summary.fileFailure {
                Terminal.error("the invoices above are issued and committed, but their files could not all be written: \(failure); make \(configuration.outDirectory) writable and run tally close again to write them")
                throw ExitCode(ExitStatus.failure)
            }
            if !summary.notIssued.isEmpty {
                Terminal.error("\(summary.notIssued.count) invoice(s) not issued (see above); the others were")
                throw ExitCode(ExitStatus.failure)
            }
        }
    }

    /// A `--period`: a strict `YYYY-MM` from the year 2000 on (events are too).
    /// "  coupons −X  taxes Y" for an invoice that has them; empty otherwise.
    static func adjustments(_ invoice: IssuedInvoice) -> String {
        (invoice.couponsAmountCents == 0 ? "" : "  coupons -\(money(invoice.couponsAmountCents, invoice.currency))")
            + (invoice.taxesAmountCents == 0 ? "" : "  taxes \(money(invoice.taxesAmountCents, invoice.currency))")
    }

    static func month(_ text: String) -> (Int, Int)? {
        guard let month = CalendarMonth(label: text), month.year >= 2000 else { return nil }
        return (month.year, month.month)
    }

    private func report(_ summary: CloseSummary, out: String) {
        for invoice in summary.issued {
            Terminal.say("issued \(invoice.number)  \(invoice.customer)  \(invoice.period)\(invoice.isStart ? " (start)" : "")  fees \(Self.money(invoice.feesAmountCents, invoice.currency))\(Self.adjustments(invoice))  credits \(Self.money(invoice.prepaidCreditAmountCents, invoice.currency))  total \(Self.money(invoice.totalAmountCents, invoice.currency))")
        }
        for failure in summary.notIssued {
            Terminal.say("NOT ISSUED \(failure.customer)  \(failure.period): \(failure.reason)")
        }
        for pair in summary.alreadyClosed { Terminal.say("already closed, unchanged: \(pair)") }
        for pair in summary.notEnded { Terminal.say("not closed, the period has not ended: \(pair)") }
        for late in summary.latePeriods {
            Terminal.say("late: \(late.events) event(s) of \(late.customer) arrived after its \(late.period) invoice: run tally reprocess --period \(late.period)")
        }
        for usage in summary.unpriced {
            let values = usage.filterValues.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
            Terminal.say("warning: unpriced usage: subscription \(usage.externalSubscriptionId), metric \(usage.metricCode), \(values.isEmpty ? "no filter values" : values): \(usage.units) units billed at 0 (the charge has no default price)")
        }
        if summary.issued.isEmpty && summary.alreadyClosed.isEmpty && summary.notEnded.isEmpty {
            Terminal.say("nothing to close")
        } else if summary.issued.isEmpty {
            Terminal.say("no new invoice: every period in scope was already closed")
        } else {
            Terminal.say("\(summary.issued.count) invoice(s) issued; files in \(out)/invoices/")
        }
    }

    /// Minor units as a decimal amount for people: 123456 USD → "1234.56 USD".
    static func money(_ cents: Int64, _ currency: String) -> String {
        let scale = Currency.minorUnitScale(currency: currency) ?? 2
        guard scale > 0 else { return "\(cents) \(currency)" }
        let divisor = (0..<scale).reduce(Int64(1)) { result, _ in result * 10 }
        let fraction = String(cents.magnitude % UInt64(divisor))
        let sign = cents < 0 ? "-" : ""
        return "\(sign)\(cents.magnitude / UInt64(divisor)).\(String(repeating: "0", count: scale - fraction.count))\(fraction) \(currency)"
    }
}
