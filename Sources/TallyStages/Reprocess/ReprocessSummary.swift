import TallyCore

/// What reprocessing did, or would do, to one live invoice.
public struct ReprocessedInvoice: Sendable {
    public enum Outcome: String, Sendable {
        /// Re-rating gives the same fees: the invoice stays as it is.
        case unchanged
        /// The invoice was voided, its credits returned, and `newNumber` issued in its place.
        case reissued
        /// A dry run: the invoice would be voided and reissued.
        case wouldReissue = "would_reissue"
    }

    public let customer: String
    public let period: String
    public let currency: String
    public let outcome: Outcome
    public let oldNumber: String
    /// The invoice issued in place of the old one; nil when unchanged or in a dry run.
    public let newNumber: String?
    public let old: InvoiceAmounts
    /// The re-rated invoice's amounts, wallet credits applied as they would be once the old ones are
    /// returned; the old amounts when unchanged.
    public let new: InvoiceAmounts
    /// The fee lines that differ; empty when unchanged.
    public let changes: [FeeChange]
    /// The plan versions the invoice's subscriptions were re-rated with, one per distinct use, by
    /// plan code.
    public let plans: [PlanVersionUse]

    /// The invoice that stands once the command is done.
    public var number: String { newNumber ?? oldNumber }
}

/// What `tally reprocess` found and did for a period.
public struct ReprocessSummary: Sendable {
    public let period: String
    public let dryRun: Bool
    /// `--reprice`: rated with the current plan versions instead of those the period was first closed with.
    public let reprice: Bool
    /// Invoice by invoice, in customer order.
    public var invoices: [ReprocessedInvoice] = []
    /// Customers with usage to bill in the period but no invoice for it: `tally close` comes first.
    public var notClosed: [String] = []
    /// Invoices that could not be re-rated (a figure beyond what Tally bills exactly): they stay as
    /// they are, and the command fails.
    public var notReprocessed: [NotIssued] = []
    /// Usage billed at price 0 on the reissued (or, in a dry run, re-rated) invoices.
    public var unpriced: [UnpricedUsage] = []
    public var filesWritten: [String] = []

    init(period: String, dryRun: Bool, reprice: Bool = false) {
        self.period = period
        self.dryRun = dryRun
        self.reprice = reprice
    }

    public var json: JSONValue {
        func cents(_ value: Int64) -> JSONValue { .number(String(value)) }
        return .object(JSONObject([
            ("period", .string(period)),
            ("dry_run", .bool(dryRun)),
            ("reprice", .bool(reprice)),
            ("invoices", .array(invoices.map { invoice in
                .object(JSONObject([
                    ("customer", .string(invoice.customer)), ("period", .string(invoice.period)),
                    ("currency", .string(invoice.currency)), ("status", .string(invoice.outcome.rawValue)),
                    ("number", .string(invoice.number)), ("old_number", .string(invoice.oldNumber)),
                    ("new_number", invoice.newNumber.map(JSONValue.string) ?? .null),
                    ("old_fees_amount_cents", cents(invoice.old.feesAmountCents)),
                    ("new_fees_amount_cents", cents(invoice.new.feesAmountCents)),
                    ("old_prepaid_credit_amount_cents", cents(invoice.old.prepaidCreditAmountCents)),
                    ("new_prepaid_credit_amount_cents", cents(invoice.new.prepaidCreditAmountCents)),
                    ("old_total_amount_cents", cents(invoice.old.totalAmountCents)),
                    ("new_total_amount_cents", cents(invoice.new.totalAmountCents)),
                    ("plans", .array(invoice.plans.map(\.json))),
                    ("changes", .array(invoice.changes.map { change in
                        .object(JSONObject([
                            ("change", .string(change.kind.rawValue)),
                            ("external_subscription_id", .string(change.externalSubscriptionId)),
                            ("type", .string(change.feeType)), ("item_code", .string(change.itemCode)),
                            ("filter_invoice_display_name", change.filterInvoiceDisplayName.map(JSONValue.string) ?? .null),
                            ("filters", change.filters ?? .null),
                            ("units_before", change.before.map { .string($0.units.description) } ?? .null),
                            ("units_after", change.after.map { .string($0.units.description) } ?? .null),
                            ("events_count_before", change.before.map { .number(String($0.eventsCount)) } ?? .null),
                            ("events_count_after", change.after.map { .number(String($0.eventsCount)) } ?? .null),
                            ("amount_cents_before", change.before.map { cents($0.amountCents) } ?? .null),
                            ("amount_cents_after", change.after.map { cents($0.amountCents) } ?? .null),
                        ]))
                    })),
                ]))
            })),
            ("not_closed", .array(notClosed.map { .string($0) })),
            ("not_reprocessed", .array(notReprocessed.map(\.json))),
            ("unpriced_usage", .array(unpriced.map(\.json))),
            ("files_written", .array(filesWritten.map { .string($0) })),
        ]))
    }
}
