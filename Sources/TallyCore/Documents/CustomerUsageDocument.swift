/// A customer's usage in one period as Lago's `customer_usage` object (docs/BILLING.md, invoices): its
/// charges, rated as close will rate them. Taxes are not modelled (0), and the subscription fee is
/// billed at close.
public struct CustomerUsageDocument: Sendable {
    public let period: BillingPeriod
    public let currency: String
    /// One per subscription and plan charge, in subscription then plan order.
    public let charges: [ChargeUsage]

    /// The charges' amounts, summed.
    public let amountCents: Int64

    public init(period: BillingPeriod, currency: String, charges: [ChargeUsage]) throws(BillingError) {
        self.period = period
        self.currency = currency
        self.charges = charges
        amountCents = try Int64.sum(charges.map(\.amountCents), "the usage amount")
    }

    /// The period's first second, UTC: `2026-10-01T04:00:00Z`.
    public var fromDatetime: String { period.from.wholeSecondsDescription }

    /// The period's last second, UTC: `2026-11-01T03:59:59Z` (Lago's usage timestamps have no fraction).
    public var toDatetime: String { period.to.wholeSecondsDescription }

    /// The local date the period's invoice will be issued on: the next period's first day.
    public var issuingDate: String { period.issuingDate }

    public var json: JSONValue {
        .object(JSONObject([
            ("from_datetime", .string(fromDatetime)),
            ("to_datetime", .string(toDatetime)),
            ("issuing_date", .string(issuingDate)),
            ("lago_invoice_id", .null),
            ("currency", .string(currency)),
            ("amount_cents", Self.number(amountCents)),
            ("taxes_amount_cents", 0),
            ("total_amount_cents", Self.number(amountCents)),
            ("charges_usage", .array(charges.map(Self.json))),
        ]))
    }

    private static func json(_ usage: ChargeUsage) -> JSONValue {
        .object(JSONObject([
            ("units", .string(usage.units.description)),
            ("total_aggregated_units", .string(usage.units.description)),
            ("events_count", number(Int64(usage.eventsCount))),
            ("amount_cents", number(usage.amountCents)),
            ("amount_currency", .string(usage.currency)),
            ("charge", .object(JSONObject([
                ("lago_id", .string(usage.chargeLagoId)),
                ("charge_model", .string(usage.charge.chargeModel.rawValue)),
                ("invoice_display_name", usage.charge.invoiceDisplayName.map(JSONValue.string) ?? .null),
            ]))),
            ("billable_metric", .object(JSONObject([
                ("lago_id", .string(usage.metric.lagoId)),
                ("name", .string(usage.metric.name)),
                ("code", .string(usage.metric.code)),
                ("aggregation_type", .string(usage.metric.aggregationType)),
            ]))),
            ("filters", .array(usage.filters.map(json))),
            ("grouped_usage", []),
        ]))
    }

    private static func json(_ usage: ChargeUsage.FilterUsage) -> JSONValue {
        .object(JSONObject([
            ("invoice_display_name", usage.filter.invoiceDisplayName.map(JSONValue.string) ?? .null),
            ("values", .object(JSONObject(usage.filter.values.map { ($0.key, .array($0.values.map(JSONValue.string))) }))),
            ("units", .string(usage.rated.units.description)),
            ("total_aggregated_units", .string(usage.rated.units.description)),
            ("amount_cents", number(usage.rated.amountCents)),
            ("events_count", number(Int64(usage.rated.eventsCount))),
        ]))
    }

    private static func number(_ value: Int64) -> JSONValue { .number(String(value)) }
}
