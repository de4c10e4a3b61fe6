/// The catalog objects already in the database that a catalog file may refer to without redefining them.
public struct StoredCatalogNames: Sendable {
    /// Stored billable metrics by code (charges need their filters).
    public var metrics: [String: BillableMetric]
    public var planCodes: Set<String>
    public var taxCodes: Set<String>
    public var couponCodes: Set<String>
    /// Stored customers by external_id, with their currency when they have one.
    public var customerCurrencies: [String: String?]

    public init(
        metrics: [String: BillableMetric] = [:],
        planCodes: Set<String> = [],
        taxCodes: Set<String> = [],
        couponCodes: Set<String> = [],
        customerCurrencies: [String: String?] = [:]
    ) {
        self.metrics = metrics
        self.planCodes = planCodes
        self.taxCodes = taxCodes
        self.couponCodes = couponCodes
        self.customerCurrencies = customerCurrencies
    }
}
