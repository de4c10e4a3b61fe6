/// A usage charge of a plan: one metric priced by a charge model, with optional per-filter prices.
public struct Charge: Codable, Equatable, Sendable {
    public var billableMetricCode: String
    public var chargeModel: ChargeModel
    public var invoiceDisplayName: String?
    /// The price of events matching no filter; nil leaves them unpriced (billed 0, reported as a warning).
    /// Of the charge's model, as every filter's properties are.
    public var properties: ChargeProperties?
    /// In plan order: on a tie between matching filters the first wins.
    public var filters: [ChargeFilter]
    /// Lago's `min_amount_cents`: the least the charge bills per full period, in the currency's minor
    /// unit, topped up by a true-up fee (docs/BILLING.md, spending minimum); nil for none (0 is stored as nil).
    public var minAmountCents: Int64?
    /// Lago's `tax_codes` of the charge's fees; nil: the plan's.
    public var taxCodes: [String]?

    public init(
        billableMetricCode: String,
        chargeModel: ChargeModel = .package,
        invoiceDisplayName: String? = nil,
        properties: ChargeProperties? = nil,
        filters: [ChargeFilter] = [],
        minAmountCents: Int64? = nil,
        taxCodes: [String]? = nil
    ) {
        self.billableMetricCode = billableMetricCode
        self.chargeModel = chargeModel
        self.invoiceDisplayName = invoiceDisplayName
        self.properties = properties
        self.filters = filters
        self.minAmountCents = minAmountCents == 0 ? nil : minAmountCents
        self.taxCodes = taxCodes
    }
}

/// How a charge prices units: Lago's charge models (docs/BILLING.md, rating). Lago's `dynamic` and
/// `custom` are not supported.
public enum ChargeModel: String, Codable, Equatable, Sendable, CaseIterable {
    case standard
    case graduated
    case volume
    case package
    case percentage
    case graduatedPercentage = "graduated_percentage"

    /// Whether Lago refuses the model on a metric aggregated with `latest_agg` (percentages of a
    /// latest value mean nothing); `CatalogValidator` checks it, as the decoder does not see the metric.
    public var refusesLatestAggregation: Bool {
        switch self {
        case .percentage, .graduatedPercentage: true
        case .standard, .graduated, .volume, .package: false
        }
    }
}
