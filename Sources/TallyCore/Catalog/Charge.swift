/// A usage charge of a plan: one metric priced by package, with optional per-filter prices.
public struct Charge: Codable, Equatable, Sendable {
    public var billableMetricCode: String
    public var chargeModel: ChargeModel
    public var invoiceDisplayName: String?
    /// The price of events matching no filter; nil leaves them unpriced (billed 0, reported as a warning).
    public var properties: PackageProperties?
    /// In plan order: on a tie between matching filters the first wins.
    public var filters: [ChargeFilter]

    public init(
        billableMetricCode: String,
        chargeModel: ChargeModel = .package,
        invoiceDisplayName: String? = nil,
        properties: PackageProperties? = nil,
        filters: [ChargeFilter] = []
    ) {
        self.billableMetricCode = billableMetricCode
        self.chargeModel = chargeModel
        self.invoiceDisplayName = invoiceDisplayName
        self.properties = properties
        self.filters = filters
    }
}

/// How a charge prices units. Tally supports packages (`⌈paid units ÷ size⌉ × amount`).
public enum ChargeModel: String, Codable, Equatable, Sendable, CaseIterable {
    case package
}
