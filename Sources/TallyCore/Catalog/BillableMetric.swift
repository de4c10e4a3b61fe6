/// What usage is counted and how: Lago's billable metric.
public struct BillableMetric: Codable, Equatable, Sendable {
    public var code: String
    public var name: String
    public var description: String?
    public var aggregationType: AggregationType
    /// The event property aggregated (`properties[field_name]`); nil for `count_agg`, which counts events.
    public var fieldName: String?
    /// Whether usage carries over from period to period (Lago allows it for sum, unique count and
    /// weighted sum; the decoder refuses it for the others).
    public var recurring: Bool
    /// The dimensions charges may price separately, in source order.
    public var filters: [MetricFilter]
    /// Lago's `rounding_function` and `rounding_precision`: how a charge slot's units are rounded
    /// before they are priced; nil leaves them exact.
    public var rounding: UnitRounding?

    public init(
        code: String,
        name: String,
        description: String? = nil,
        aggregationType: AggregationType = .sumAgg,
        fieldName: String?,
        recurring: Bool = false,
        filters: [MetricFilter] = [],
        rounding: UnitRounding? = nil
    ) {
        self.rounding = rounding
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

/// How a metric turns a period's events into units (docs/BILLING.md, aggregations). Lago's
/// `custom_agg` runs customer code and is not supported.
public enum AggregationType: String, Codable, Equatable, Sendable, CaseIterable {
    /// The number of events; no field.
    case countAgg = "count_agg"
    /// The sum of the field.
    case sumAgg = "sum_agg"
    /// The largest value of the field.
    case maxAgg = "max_agg"
    /// The number of distinct values of the field still added at the period's end (`operation_type`).
    case uniqueCountAgg = "unique_count_agg"
    /// The field of the period's latest event (negative counts as 0).
    case latestAgg = "latest_agg"
    /// The field summed over time: each value weighted by the share of the period it held.
    case weightedSumAgg = "weighted_sum_agg"

    /// Whether events must carry the field.
    public var needsField: Bool { self != .countAgg }

    /// Whether the field must be a decimal number (unique count counts any value).
    public var needsNumericField: Bool { self != .countAgg && self != .uniqueCountAgg }

    /// Whether Lago lets a metric of this aggregation be `recurring`.
    public var allowsRecurring: Bool { self == .sumAgg || self == .uniqueCountAgg || self == .weightedSumAgg }
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

/// Lago's rounding of a metric's aggregated units: `round` (half away from zero), `ceil` or
/// `floor`, at `precision` decimals (negative: to tens, hundreds, …).
public struct UnitRounding: Codable, Equatable, Sendable {
    public enum Function: String, Codable, Equatable, Sendable, CaseIterable {
        case round, ceil, floor
    }

    public var function: Function
    public var precision: Int

    /// The precisions Tally takes: units have at most 38 digits.
    public static let precisions: ClosedRange<Int64> = -15...15

    public init(function: Function, precision: Int = 0) {
        self.function = function
        self.precision = precision
    }

    /// `units` rounded; nil when the result needs more than 38 digits.
    public func apply(to units: ExactDecimal) -> ExactDecimal? {
        let rule: ExactDecimal.RoundingRule
        switch function {
        case .round: rule = .halfAwayFromZero
        case .ceil: rule = .up
        case .floor: rule = .down
        }
        guard precision < 0 else { return units.rounded(scale: precision, rule) }
        // To tens, hundreds, …: shift the decimal point left, round to a whole number, shift back.
        let shift = ExactDecimal(significand: 1, scale: -precision)
        guard let shifted = units.multiplied(by: shift) else { return nil }
        var power = ExactDecimal(1)
        for _ in 0..<(-precision) { guard let next = power.multiplied(by: ExactDecimal(10)) else { return nil }; power = next }
        return shifted.rounded(scale: 0, rule).multiplied(by: power)
    }
}
