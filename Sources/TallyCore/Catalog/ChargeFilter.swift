/// A price for the events of a charge whose properties match every condition, of the charge's model.
public struct ChargeFilter: Codable, Equatable, Sendable {
    public var invoiceDisplayName: String?
    public var properties: ChargeProperties
    /// Lago's `values` object (key → accepted values), in source key order.
    public var values: [FilterCondition]

    public init(invoiceDisplayName: String? = nil, properties: ChargeProperties, values: [FilterCondition]) {
        self.invoiceDisplayName = invoiceDisplayName
        self.properties = properties
        self.values = values
    }
}

/// One condition of a charge filter: the event's property `key` is one of `values`.
public struct FilterCondition: Codable, Equatable, Sendable {
    public var key: String
    public var values: [String]

    public init(key: String, values: [String]) {
        self.key = key
        self.values = values
    }
}
