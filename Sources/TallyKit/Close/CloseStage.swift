import Foundation
import TallyCore

/// Which periods `tally close` closes.
public enum CloseScope: Sendable {
    /// The named calendar month, in each customer's timezone.
    case month(year: Int, month: Int)
    /// Every period that ended before the instant.
    case endedBefore(UTCInstant)
}

/// One invoice issued by a close.
public struct IssuedInvoice: Sendable {
    public let number: String
    public let customer: String
    public let period: String
    public let currency: String
    public let feesAmountCents: Int64
    public let prepaidCreditAmountCents: Int64
    public let totalAmountCents: Int64
    public let feeCount: Int
}

/// What a close did: invoices issued, periods that were already closed, unpriced usage.
public struct CloseSummary: Sendable {
    public var issued: [IssuedInvoice] = []
    /// "customer period" pairs that already had an invoice: closing again changes nothing.
    public var alreadyClosed: [String] = []
    /// Periods named by `--period` that have not ended yet for a customer.
    public var notEnded: [String] = []
    public var unpriced: [UnpricedUsage] = []
    /// Events that arrived after the live invoice of their period was issued: those periods are
    /// due for `tally reprocess` (SPEC §3).
    public var latePeriods: [LatePeriod] = []
    public var filesWritten: [String] = []

    public var json: JSONValue {
        .object(JSONObject([
            ("invoices", .array(issued.map { invoice in
                [
                    "number": .string(invoice.number), "customer": .string(invoice.customer),
                    "period": .string(invoice.period), "currency": .string(invoice.currency),
                    "fees_amount_cents": .number(String(invoice.feesAmountCents)),
                    "prepaid_credit_amount_cents": .number(String(invoice.prepaidCreditAmountCents)),
                    "total_amount_cents": .number(String(invoice.totalAmountCents)),
                ]
            })),
            ("already_closed", .array(alreadyClosed.map { .string($0) })),
            ("late_periods", LatePeriod.json(latePeriods)),
            ("not_ended", .array(notEnded.map { .string($0) })),
            ("unpriced_usage", .array(unpriced.map(\.json))),
            ("files_written", .array(filesWritten.map { .string($0) })),
        ]))
    }
}

/// `tally close`: rates closed periods from the usage rollups and issues one invoice per
/// customer and period, with its fees and wallet debits, in one transaction each; then writes the
/// invoice JSON files and the period's summary.csv from what was committed.
public struct CloseStage {
    let connection: PostgresConnection
    let outDirectory: String

    public init(connection: PostgresConnection, outDirectory: String) {
        self.connection = connection
        self.outDirectory = outDirectory
    }

    public func close(_ scope: CloseScope, now: UTCInstant) throws -> CloseSummary {
        let context = try BillingContext.load(from: connection)
        var summary = CloseSummary()
        let pairs = try periodsToClose(scope, context: context, now: now, summary: &summary)
        let closed = try closedPeriods()
        let open = pairs.filter { customer, period in
            guard !context.activeSubscriptions(of: customer, in: period).isEmpty else { return false }
            if closed.contains(ClosedPeriod(customerId: customer.id, period: period.label)) {
                summary.alreadyClosed.append("\(customer.definition.externalId) \(period.label)")
                return false
            }
            return true
        }
        let rated = try InvoiceDraft.rate(open, context: context, connection: connection)
        let drafts = rated.map(\.draft)
        summary.unpriced = rated.flatMap(\.unpriced)
        // Each batch's files are written on other threads while the next batch is issued; what is
        // left (files of earlier closes gone missing or stale, the summaries) comes after.
        let files = InvoiceFiles(connection: connection, outDirectory: outDirectory)
        let writing = BackgroundWork<[String]>()
        let outDirectory = outDirectory
        do {
            summary.issued = try InvoiceWriter(connection: connection).issue(drafts, prefix: context.documentNumberPrefix) { batch in
                let sources = try files.sources(where: "i.number = ANY ($1::text[])", [PostgresArray.text(batch.map(\.number))])
                writing.submit { try InvoiceFiles.writeInvoices(sources, outDirectory: outDirectory) }
            }
        } catch {
            _ = try? writing.results()
            throw error
        }
        summary.filesWritten = try writing.results().flatMap { $0 }
            + files.write(periods: Set(pairs.map(\.1.label)).sorted(), except: Set(summary.issued.map(\.number)))
        summary.latePeriods = try latePeriods()
        return summary
    }

    /// Late events recorded by ingests that started after the live invoice of their period.
    private func latePeriods() throws -> [LatePeriod] {
        try connection.execute("""
            SELECT late ->> 'customer', late ->> 'period', sum((late ->> 'events')::bigint)
            FROM ingests g CROSS JOIN jsonb_array_elements(g.late_periods) late
            JOIN customers c ON c.external_id = late ->> 'customer'
            JOIN invoices i ON i.customer_id = c.id AND i.period = late ->> 'period' AND i.status <> 'voided'
            WHERE g.started_at > i.created_at
            GROUP BY 1, 2 ORDER BY 2, 1
            """).rows.map { LatePeriod(customer: $0[0]!, period: $0[1]!, events: Int($0[2]!)!) }
    }

    private struct ClosedPeriod: Hashable {
        let customerId: Int64
        let period: String
    }

    private func closedPeriods() throws -> Set<ClosedPeriod> {
        Set(try connection.execute("SELECT customer_id, period FROM invoices WHERE status <> 'voided'").rows.map {
            ClosedPeriod(customerId: Int64($0[0]!)!, period: $0[1]!)
        })
    }

    /// (customer, period) pairs in scope, in period order then customer order, so invoice numbers
    /// are assigned deterministically.
    private func periodsToClose(
        _ scope: CloseScope, context: BillingContext, now: UTCInstant, summary: inout CloseSummary
    ) throws -> [(BillingContext.CustomerRecord, BillingPeriod)] {
        var pairs: [(BillingContext.CustomerRecord, BillingPeriod)] = []
        for customer in context.customers {
            switch scope {
            case .month(let year, let month):
                guard let period = BillingPeriod(year: year, month: month, timezone: customer.timezone) else { continue }
                if period.to >= now {
                    summary.notEnded.append("\(customer.definition.externalId) \(period.label) (ends \(period.to))")
                    continue
                }
                pairs.append((customer, period))
            case .endedBefore(let asOf):
                let subscriptions = context.subscriptionsByCustomer[customer.id] ?? []
                guard let earliest = subscriptions.map(\.startedAt).min(),
                      var period = BillingPeriod.containing(earliest, timezone: customer.timezone)
                else { continue }
                while period.to < asOf && period.to < now {
                    pairs.append((customer, period))
                    period = period.next
                }
            }
        }
        return pairs.sorted { ($0.1.year, $0.1.month, $0.0.sequentialId) < ($1.1.year, $1.1.month, $1.0.sequentialId) }
    }
}

/// Reads subscriptions' usage for a period from the monthly rollups: the period is a calendar month
/// in the customer's timezone, and so is a rollup's month.
enum UsageQuery {
    /// Usage buckets of each subscription in `subscriptionIds` for `period`, by subscription id.
    static func buckets(subscriptionIds: [Int64], period: BillingPeriod, connection: PostgresConnection) throws -> [Int64: [UsageBucket]] {
        guard !subscriptionIds.isEmpty else { return [:] }
        let rows = try connection.execute("""
            SELECT subscription_id, code, filter_values::text, sum(units)::text, sum(events_count)::text
            FROM event_rollups
            WHERE subscription_id = ANY ($1::bigint[]) AND month = $2::date
            GROUP BY subscription_id, code, filter_values
            ORDER BY subscription_id, code, filter_values::text
            """, [PostgresArray.bigint(subscriptionIds), period.label + "-01"])
        var buckets: [Int64: [UsageBucket]] = [:]
        for row in rows.rows {
            guard case .object(let object) = try JSONParser.parse(row[2]!) else { preconditionFailure("filter_values is an object") }
            var values: [String: String] = [:]
            for (key, value) in object.entries { values[key] = value.stringValue }
            buckets[Int64(row[0]!)!, default: []].append(UsageBucket(
                code: row[1]!, filterValues: values, units: ExactDecimal(decimalString: row[3]!)!, eventsCount: Int(row[4]!)!))
        }
        return buckets
    }
}

extension UnpricedUsage {
    /// How close and reprocess report usage no charge prices.
    var json: JSONValue {
        [
            "external_subscription_id": .string(externalSubscriptionId),
            "metric": .string(metricCode),
            "values": .object(JSONObject(filterValues.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
            "units": .string(units.description),
        ]
    }
}
