import TallyCore

/// Which periods `tally close` closes.
public enum CloseScope: Sendable {
    /// The named calendar month, in each customer's timezone.
    case month(year: Int, month: Int)
    /// Every period that ended before the instant.
    case endedBefore(UTCInstant)
}

/// An invoice a close could not issue, and why: the others are issued all the same.
public struct NotIssued: Sendable, Equatable {
    public let customer: String
    public let period: String
    public let reason: String

    public var json: JSONValue {
        ["customer": .string(customer), "period": .string(period), "reason": .string(reason)]
    }
}

/// What a close did: invoices issued, periods that were already closed, unpriced usage.
public struct CloseSummary: Sendable {
    public var issued: [IssuedInvoice] = []
    /// Invoices that could not be issued (a figure beyond what Tally bills exactly): the command fails.
    public var notIssued: [NotIssued] = []
    /// "customer period" pairs that already had an invoice: closing again changes nothing.
    public var alreadyClosed: [String] = []
    /// Periods named by `--period` that have not ended yet for a customer.
    public var notEnded: [String] = []
    public var unpriced: [UnpricedUsage] = []
    /// Events that arrived after the live invoice of their period was issued: those periods are
    /// due for `tally reprocess`.
    public var latePeriods: [LatePeriod] = []
    public var filesWritten: [String] = []
    /// Why files of committed invoices could not be written (a full or read-only output folder):
    /// the next close writes them.
    public var fileFailure: String?

    public var json: JSONValue {
        .object(JSONObject([
            ("invoices", .array(issued.map { invoice in
                [
                    "number": .string(invoice.number), "customer": .string(invoice.customer),
                    "period": .string(invoice.period), "kind": .string(invoice.isStart ? "start" : "period"),
                    "currency": .string(invoice.currency),
                    "fees_amount_cents": .number(String(invoice.feesAmountCents)),
                    "coupons_amount_cents": .number(String(invoice.couponsAmountCents)),
                    "taxes_amount_cents": .number(String(invoice.taxesAmountCents)),
                    "prepaid_credit_amount_cents": .number(String(invoice.prepaidCreditAmountCents)),
                    "total_amount_cents": .number(String(invoice.totalAmountCents)),
                ]
            })),
            ("not_issued", .array(notIssued.map(\.json))),
            ("already_closed", .array(alreadyClosed.map { .string($0) })),
            ("late_periods", LatePeriod.json(latePeriods)),
            ("not_ended", .array(notEnded.map { .string($0) })),
            ("unpriced_usage", .array(unpriced.map(\.json))),
            ("files_written", .array(filesWritten.map { .string($0) })),
            ("file_failure", fileFailure.map(JSONValue.string) ?? .null),
        ]))
    }
}
