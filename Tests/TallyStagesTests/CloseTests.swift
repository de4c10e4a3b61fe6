import Foundation
import Testing
import TallyCore
import TallyStages

// Shared vocabulary of the period-close suites (Close*Tests.swift): small inline catalogs, NDJSON
// event lines, running a close at a fixed instant, and reading back the invoices, fees, wallet
// transactions and output files it produced. Expected amounts are always computed in the tests.

/// Catalog pieces for close tests: organization prefix `TST`, the `ai_tokens` metric (sum of `tokens`,
/// filters model ∈ [small, large] and type ∈ [input, output]).
enum CloseCatalog {
    static let metric = #"""
        {"name": "AI Tokens", "code": "ai_tokens", "aggregation_type": "sum_agg", "field_name": "tokens",
         "recurring": false,
         "filters": [{"key": "model", "values": ["small", "large"]}, {"key": "type", "values": ["input", "output"]}]}
        """#

    /// Package properties: `amount` per `packageSize` units after `freeUnits`.
    static func package(_ amount: String, size: Int = 1_000_000, free: Int = 0) -> String {
        #"{"amount": "\#(amount)", "free_units": \#(free), "package_size": \#(size)}"#
    }

    /// A charge filter named `name` (its `invoice_display_name`), e.g. `values: #"{"model": ["small"]}"#`.
    static func filter(_ name: String, values: String, price: String) -> String {
        #"{"invoice_display_name": "\#(name)", "properties": \#(price), "values": \#(values)}"#
    }

    /// A package charge on `ai_tokens`; `properties` nil leaves the default bucket unpriced.
    static func charge(properties: String?, filters: [String] = []) -> String {
        let properties = properties.map { #""properties": \#($0), "# } ?? ""
        return #"{"billable_metric_id": "ai_tokens", "charge_model": "package", \#(properties)"filters": [\#(filters.joined(separator: ", "))]}"#
    }

    /// The "package plan priced per filter": 1.00, 2.00, 3.00 and 4.00 USD per million tokens of
    /// small-input, small-output, large-input and large-output; 0 for anything else.
    static let perFilterCharge = charge(properties: package("0"), filters: [
        filter("small-input", values: #"{"model": ["small"], "type": ["input"]}"#, price: package("1")),
        filter("small-output", values: #"{"model": ["small"], "type": ["output"]}"#, price: package("2")),
        filter("large-input", values: #"{"model": ["large"], "type": ["input"]}"#, price: package("3")),
        filter("large-output", values: #"{"model": ["large"], "type": ["output"]}"#, price: package("4")),
    ])

    static func plan(_ code: String, amountCents: Int = 0, currency: String = "USD", charges: [String]) -> String {
        #"""
        {"name": "Plan \#(code)", "code": "\#(code)", "amount_cents": \#(amountCents), "amount_currency": "\#(currency)",
         "interval": "monthly", "pay_in_advance": false, "charges": [\#(charges.joined(separator: ", "))]}
        """#
    }

    static func customer(_ externalId: String, timezone: String? = nil, currency: String? = "USD") -> String {
        let zone = timezone.map { #", "timezone": "\#($0)""# } ?? ""
        let money = currency.map { #", "currency": "\#($0)""# } ?? ""
        return #"{"external_id": "\#(externalId)", "name": "Customer \#(externalId)"\#(money)\#(zone)}"#
    }

    static func subscription(_ externalId: String, customer: String, plan: String, at start: String) -> String {
        #"{"external_customer_id": "\#(customer)", "plan_code": "\#(plan)", "external_id": "\#(externalId)", "subscription_at": "\#(start)"}"#
    }

    static func wallet(
        _ name: String, customer: String, currency: String = "USD", paid: String = "0", granted: String = "0",
        rate: String = "1.0", priority: Int? = nil
    ) -> String {
        let order = priority.map { #", "priority": \#($0)"# } ?? ""
        return #"""
            {"name": "\#(name)", "external_customer_id": "\#(customer)", "currency": "\#(currency)",
             "paid_credits": "\#(paid)", "granted_credits": "\#(granted)", "rate_amount": "\#(rate)"\#(order)}
            """#
    }

    /// A whole catalog document with the `TST` organization (UTC unless told) and the `ai_tokens` metric.
    static func document(
        plans: [String], customers: [String], subscriptions: [String], wallets: [String] = [],
        organizationTimezone: String = "UTC"
    ) -> String {
        #"""
        {
          "organization": {"name": "Test Org", "document_number_prefix": "TST", "timezone": "\#(organizationTimezone)"},
          "billable_metrics": [\#(metric)],
          "plans": [\#(plans.joined(separator: ",\n"))],
          "customers": [\#(customers.joined(separator: ",\n"))],
          "subscriptions": [\#(subscriptions.joined(separator: ",\n"))],
          "wallets": [\#(wallets.joined(separator: ",\n"))]
        }
        """#
    }
}

/// One `ai_tokens` event as an NDJSON line; `model` / `type` nil leave the property out.
func tokenEvent(
    _ transactionId: String, subscription: String, at timestamp: String, tokens: Int,
    model: String? = "small", type: String? = "input"
) -> String {
    var properties = [#""tokens": \#(tokens)"#]
    if let model { properties.append(#""model": "\#(model)""#) }
    if let type { properties.append(#""type": "\#(type)""#) }
    return #"{"transaction_id": "\#(transactionId)", "external_subscription_id": "\#(subscription)", "code": "ai_tokens", "timestamp": "\#(timestamp)", "properties": {\#(properties.joined(separator: ", "))}}"#
}

/// ⌈units ÷ size⌉ in whole numbers: the package count of a package charge, computed by the test.
func packages(_ units: Int, size: Int) -> Int {
    units <= 0 ? 0 : (units + size - 1) / size
}

/// The fixed instant every close in these suites runs at.
let closeNow = UTCInstant(year: 2026, month: 12, day: 15)!

/// An `invoices` row, read back with the columns the tests assert on.
struct InvoiceRow: Equatable {
    let id: String
    let number: String
    let customer: String
    let period: String
    let periodFromMicros: Int64
    let periodToMicros: Int64
    let issuingDate: String
    let currency: String
    let status: String
    let paymentStatus: String
    let feesAmountCents: Int64
    let taxesAmountCents: Int64
    let subTotalExcludingTaxesAmountCents: Int64
    let subTotalIncludingTaxesAmountCents: Int64
    let prepaidCreditAmountCents: Int64
    let prepaidGrantedCreditAmountCents: Int64
    let prepaidPurchasedCreditAmountCents: Int64
    let totalAmountCents: Int64
}

/// A `fees` row with its subscription's external id.
struct FeeRow: Equatable {
    let subscription: String
    let feeType: String
    let filterDisplayName: String?
    let filters: String?
    let units: Decimal
    let eventsCount: Int
    let preciseAmount: Decimal
    let amountCents: Int64
    let unpriced: Bool
    let fromMicros: Int64
    let toMicros: Int64
}

/// An outbound or inbound `wallet_transactions` row with its wallet's name.
struct WalletTransactionRow: Equatable {
    let wallet: String
    let direction: String
    let grantedCredits: Decimal
    let purchasedCredits: Decimal
    let invoiceNumber: String?
}

/// The parts of `<out>/invoices/<YYYY-MM>/<number>.json` the tests check, decoded with Foundation.
struct InvoiceDocument: Decodable {
    struct Customer: Decodable { let external_id: String }
    struct Subscription: Decodable { let external_id: String }
    struct Item: Decodable {
        let type: String
        let code: String
        let filter_invoice_display_name: String?
        let filters: [String: [String]]?
    }
    struct Fee: Decodable {
        let external_subscription_id: String
        let amount_cents: Int64
        let precise_amount: String
        let units: String
        let events_count: Int
        let from_date: String
        let to_date: String
        let item: Item
    }
    let lago_id: String
    let number: String
    let issuing_date: String
    let invoice_type: String
    let status: String
    let payment_status: String
    let currency: String
    let fees_amount_cents: Int64
    let taxes_amount_cents: Int64
    let sub_total_excluding_taxes_amount_cents: Int64
    let sub_total_including_taxes_amount_cents: Int64
    let prepaid_credit_amount_cents: Int64
    let prepaid_granted_credit_amount_cents: Int64
    let prepaid_purchased_credit_amount_cents: Int64
    let total_amount_cents: Int64
    let total_due_amount_cents: Int64
    let customer: Customer
    let subscriptions: [Subscription]
    let fees: [Fee]
}

func decimal(_ text: String?, sourceLocation: SourceLocation = #_sourceLocation) throws -> Decimal {
    try #require(text.flatMap { Decimal(string: $0) }, "\(text ?? "nil") is a decimal", sourceLocation: sourceLocation)
}

extension TestDatabase {
    /// Ingests one NDJSON export of `lines` and expects every line accepted.
    func ingestAccepted(_ lines: [String], name: String = "events.ndjson", sourceLocation: SourceLocation = #_sourceLocation) throws {
        let path = try write(name, lines.joined(separator: "\n") + "\n")
        expectCounts(try ingest(path), read: lines.count, accepted: lines.count, sourceLocation: sourceLocation)
    }

    func close(_ scope: CloseScope, now: UTCInstant = closeNow) throws -> CloseSummary {
        try CloseStage(database: database, outDirectory: outDirectory).close(scope, now: now)
    }

    func invoices() throws -> [InvoiceRow] {
        try rows("""
            SELECT i.id, i.number, c.external_id, i.period,
                   (extract(epoch FROM i.period_from) * 1000000)::bigint, (extract(epoch FROM i.period_to) * 1000000)::bigint,
                   i.issuing_date::text, i.currency, i.status, i.payment_status, i.fees_amount_cents, i.taxes_amount_cents,
                   i.sub_total_excluding_taxes_amount_cents, i.sub_total_including_taxes_amount_cents,
                   i.prepaid_credit_amount_cents, i.prepaid_granted_credit_amount_cents,
                   i.prepaid_purchased_credit_amount_cents, i.total_amount_cents
            FROM invoices i JOIN customers c ON c.id = i.customer_id ORDER BY i.period, i.number
            """).map { row in
            InvoiceRow(
                id: row[0]!, number: row[1]!, customer: row[2]!, period: row[3]!,
                periodFromMicros: Int64(row[4]!)!, periodToMicros: Int64(row[5]!)!, issuingDate: row[6]!,
                currency: row[7]!, status: row[8]!, paymentStatus: row[9]!,
                feesAmountCents: Int64(row[10]!)!, taxesAmountCents: Int64(row[11]!)!,
                subTotalExcludingTaxesAmountCents: Int64(row[12]!)!, subTotalIncludingTaxesAmountCents: Int64(row[13]!)!,
                prepaidCreditAmountCents: Int64(row[14]!)!, prepaidGrantedCreditAmountCents: Int64(row[15]!)!,
                prepaidPurchasedCreditAmountCents: Int64(row[16]!)!, totalAmountCents: Int64(row[17]!)!)
        }
    }

    /// The one invoice of `customer` for `period`.
    func invoice(_ customer: String, _ period: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> InvoiceRow {
        let matching = try invoices().filter { $0.customer == customer && $0.period == period }
        try #require(matching.count == 1, "one invoice of \(customer) for \(period) (got \(matching.count))",
                     sourceLocation: sourceLocation)
        return matching[0]
    }

    /// The fees of an invoice, in invoice order.
    func fees(of invoice: InvoiceRow) throws -> [FeeRow] {
        try rows("""
            SELECT s.external_id, f.fee_type, f.filter_invoice_display_name, f.filters::text, f.units::text, f.events_count,
                   f.precise_amount::text, f.amount_cents, f.unpriced,
                   (extract(epoch FROM f.from_date) * 1000000)::bigint, (extract(epoch FROM f.to_date) * 1000000)::bigint
            FROM fees f JOIN subscriptions s ON s.id = f.subscription_id
            WHERE f.invoice_id = $1 ORDER BY f.position
            """, [invoice.id]).map { row in
            FeeRow(
                subscription: row[0]!, feeType: row[1]!, filterDisplayName: row[2], filters: row[3],
                units: try decimal(row[4]), eventsCount: Int(row[5]!)!, preciseAmount: try decimal(row[6]),
                amountCents: Int64(row[7]!)!, unpriced: row[8] == "t",
                fromMicros: Int64(row[9]!)!, toMicros: Int64(row[10]!)!)
        }
    }

    /// Every wallet transaction, oldest first.
    func walletTransactions() throws -> [WalletTransactionRow] {
        try rows("""
            SELECT w.name, t.direction, t.granted_credits::text, t.purchased_credits::text, i.number
            FROM wallet_transactions t JOIN wallets w ON w.id = t.wallet_id LEFT JOIN invoices i ON i.id = t.invoice_id
            ORDER BY t.id
            """).map { row in
            WalletTransactionRow(
                wallet: row[0]!, direction: row[1]!, grantedCredits: try decimal(row[2]),
                purchasedCredits: try decimal(row[3]), invoiceNumber: row[4])
        }
    }

    /// A wallet's balance in cents, summed by the test from its transactions: Σ(±credits) × rate × 100.
    func walletBalanceCents(_ name: String) throws -> Decimal {
        try decimal(scalar("""
            SELECT (coalesce(sum(CASE t.direction WHEN 'inbound' THEN t.granted_credits + t.purchased_credits
                                                  ELSE -(t.granted_credits + t.purchased_credits) END), 0)
                    * w.rate_amount * 100)::text
            FROM wallets w LEFT JOIN wallet_transactions t ON t.wallet_id = w.id
            WHERE w.name = $1 GROUP BY w.id
            """, [name]))
    }

    /// `<out>/invoices/<period>/<number>.json`.
    func invoicePath(_ period: String, _ number: String) -> String {
        "\(outDirectory)/invoices/\(period)/\(number).json"
    }

    func summaryPath(_ period: String) -> String {
        "\(outDirectory)/invoices/\(period)/summary.csv"
    }

    func invoiceDocument(_ period: String, _ number: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> InvoiceDocument {
        let path = invoicePath(period, number)
        let data = try #require(FileManager.default.contents(atPath: path), "\(path) exists", sourceLocation: sourceLocation)
        return try JSONDecoder().decode(InvoiceDocument.self, from: data)
    }

    /// The rows of a period's summary.csv, header first, split on commas (no field the tests use is quoted).
    func summaryRows(_ period: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [[String]] {
        let path = summaryPath(period)
        let data = try #require(FileManager.default.contents(atPath: path), "\(path) exists", sourceLocation: sourceLocation)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.hasSuffix("\n"), "summary.csv ends with a newline", sourceLocation: sourceLocation)
        return text.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    }
}

/// Microseconds of an RFC 3339 UTC instant written `2026-11-01T04:00:00Z` (computed with Foundation).
func micros(_ text: String, plus extra: Int = 0) -> Int64 {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    let date = formatter.date(from: text)!
    return Int64(date.timeIntervalSince1970.rounded()) * 1_000_000 + Int64(extra)
}

/// The last microsecond of the second `text` names: period ends are written `…:59.999999`.
func lastMicrosecond(of text: String) -> Int64 {
    micros(text, plus: 999_999)
}
