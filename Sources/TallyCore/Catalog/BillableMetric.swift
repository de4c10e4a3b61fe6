/// What usage is counted and how: Lago's billable metric, limited to non-recurring sums.
public struct BillableMetric: Codable, Equatable, Sendable {
    public var code: String
    public var name: String
    public var description: String?
    public var aggregationType: AggregationType
    /// The event property summed (`properties[field_name]`).
    public var fieldName: String
    /// Always false for now: recurring metrics are refused by the decoder.
    public var recurring: Bool
    /// The dimensions charges may price separately, in source order.
    public var filters: [MetricFilter]

    public init(
        code: String,
        name: String,
        description: String? = nil,
        aggregationType: AggregationType = .sumAgg,
        fieldName: String,
        recurring: Bool = false,
        filters: [MetricFilter] = []
    ) {
        self.code = code
        self.name = name
        self.description = description
        self.aggregationType = aggregationType
        self.fieldName = fieldName
        self.recurring = recurring
        self.filters = filters
    }

    /// The filter declaring `key`, if any.
    public func filter(forKey key: String) -> MetricFilter? {
        filters.first { $0.key == key }
    }
}

/// How a metric turns events into units. Lago has more; Tally supports the sum of one property.
public enum AggregationType: String, Codable, Equatable, Sendable, CaseIterable {
    case sumAgg = "sum_agg"
}

/// One dimension of a metric (`model`) and the values an event may carry for it.
public struct MetricFilter: Codable, Equatable, Sendable {
    public var key: String
    public var values: [String]

    public init(key: String, values: [String]) {
        self.key = key
        self.values = values
    }
}
