import ArgumentParser
import Foundation
import TallyCore
import TallyStages

struct CreditNoteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "credit-note", abstract: "Correct an issued invoice with a credit note.", subcommands: [Create.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Credit an issued invoice, whole or chosen fees, as Lago's credit notes do.",
            discussion: """
                Each --item names a fee of the invoice by its lago_id (in the invoice file) and the amount to credit in \
                minor units (cents), at most what is left of it; --all credits every fee in full. The taxes follow the \
                fees'. The total is credited to the customer (taken by its next invoices, after taxes) except --refund, \
                recorded as refunded. Numbered <invoice number>-CN001…; written to <out>/credit_notes/<period>/. Exit 2 \
                and nothing written when the invoice, a fee or an amount is not right.
                """)
        @OptionGroup var global: GlobalOptions
        @Option(help: ArgumentHelp("The invoice's number, e.g. MIS-001-002.", valueName: "number")) var invoice: String
        @Option(name: .customLong("item"), help: ArgumentHelp("A fee and the amount to credit, in minor units.", valueName: "fee_lago_id=cents"))
        var items: [String] = []
        @Flag(help: "Credit every fee of the invoice in full (what is left of it).") var all = false
        @Option(help: ArgumentHelp("The part of the total refunded rather than credited, in minor units (default 0).", valueName: "cents"))
        var refund: Int64 = 0
        @Option(help: ArgumentHelp("Lago's reason: \(CreditNoteReason.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "reason"))
        var reason: String
        @Option(help: ArgumentHelp("A note for the customer.", valueName: "text")) var description: String?
        @Flag(help: "Print the credit note's amounts as JSON.") var json = false
        @Flag(help: "Wait for another running tally instead of exiting with code 4.") var wait = false

        func validate() throws {
            if CreditNoteReason(rawValue: reason) == nil {
                throw ValidationError("--reason must be one of \(CreditNoteReason.allCases.map(\.rawValue).joined(separator: ", ")) (got \"\(reason)\")")
            }
            if all == !items.isEmpty { throw ValidationError("give --all, or one --item per fee to credit (not both)") }
            for item in items where Self.parse(item) == nil {
                throw ValidationError("--item must be FEE_LAGO_ID=CENTS with a whole number of cents > 0 (got \"\(item)\")")
            }
            if refund < 0 { throw ValidationError("--refund must be a whole number of cents >= 0 (got \(refund))") }
        }

        static func parse(_ item: String) -> (feeLagoId: String, amountCents: Int64)? {
            let parts = item.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, let cents = Int64(parts[1]), cents > 0, !parts[0].isEmpty else { return nil }
            return (String(parts[0]), cents)
        }

        func run() throws {
            try Terminal.run {
                let configuration = global.configuration
                let database = try configuration.open()
                try database.lockRuns(wait: wait)
                guard let reason = CreditNoteReason(rawValue: reason) else { throw ExitCode(ExitStatus.usage) }
                let report: CreditNoteReport
                do {
                    report = try CreditNoteStage.create(
                        CreditNoteRequest(invoiceNumber: invoice, items: all ? nil : items.compactMap(Self.parse), refundCents: refund,
                                          reason: reason, description: description),
                        database: database, outDirectory: configuration.outDirectory, now: .now)
                } catch let error as CreditNoteCommandError {
                    Terminal.error(error.description)
                    throw ExitCode(ExitStatus.usage)
                }
                let amounts = report.amounts
                let money = { (cents: Int64) in Close.money(cents, report.currency) }
                Terminal.say("created \(report.number) for \(report.invoiceNumber) (\(report.customer)): items \(money(amounts.subTotalExcludingTaxesAmountCents))"
                    + "  taxes \(money(amounts.taxesAmountCents))  total \(money(amounts.totalAmountCents))"
                    + "  credited \(money(amounts.creditAmountCents))  refunded \(money(amounts.refundAmountCents))")
                if let file = report.file { Terminal.say("wrote \(file)") }
                if json {
                    Terminal.printJSON([
                        "number": .string(report.number), "invoice_number": .string(report.invoiceNumber),
                        "customer": .string(report.customer), "currency": .string(report.currency),
                        "sub_total_excluding_taxes_amount_cents": .number(String(amounts.subTotalExcludingTaxesAmountCents)),
                        "taxes_amount_cents": .number(String(amounts.taxesAmountCents)),
                        "total_amount_cents": .number(String(amounts.totalAmountCents)),
                        "credit_amount_cents": .number(String(amounts.creditAmountCents)),
                        "refund_amount_cents": .number(String(amounts.refundAmountCents)),
                    ])
                }
                if let failure = report.fileFailure {
                    Terminal.error("the credit note is stored, but its file could not be written (\(failure)): the next close writes it")
                    throw ExitCode(ExitStatus.failure)
                }
            }
        }
    }
}
