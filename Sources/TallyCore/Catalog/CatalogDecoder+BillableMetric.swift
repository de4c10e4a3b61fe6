extension CatalogDecoder {
    static func decodeBillableMetric(_ reader: inout CatalogObjectReader) -> BillableMetric? {
        let code = reader.requiredString("code")
        let name = reader.requiredString("name")
        let description = reader.optionalString("description")
        let aggregationType = reader.choice("aggregation_type", of: AggregationType.self)
        // Lago drops a count_agg metric's field_name: it counts events, whatever they carry.
        let fieldName = aggregationType == .countAgg ? nil : reader.requiredString("field_name")
        if aggregationType == .countAgg { reader.skip("field_name") }
        let recurring = reader.bool("recurring", default: false)
        if let aggregationType, recurring == true, !aggregationType.allowsRecurring {
            reader.fail("recurring", "must be false for \(aggregationType.rawValue) (recurring: sum_agg, unique_count_agg, weighted_sum_agg)")
        }
        decodeWeightedInterval(&reader, aggregationType: aggregationType)
        let rounding = decodeRounding(&reader)
        let filters = reader.elements("filters", decodeMetricFilter)
        reader.apply(.billableMetric)

        var firstIndexByKey: [String: Int] = [:]
        for (index, filter) in filters {
            if let first = firstIndexByKey[filter.key] {
                let filtersPath = reader.path(of: "filters")
                reader.log.add(
                    at: CatalogPath.member(CatalogPath.element(filtersPath, index), "key"),
                    "duplicate filter key \(CatalogPath.quoted(filter.key)) (first at \(CatalogPath.element(filtersPath, first)))")
            } else {
                firstIndexByKey[filter.key] = index
            }
        }

        guard let code, let name, let aggregationType, let recurring, let rounding else { return nil }
        if aggregationType.needsField, fieldName == nil { return nil }
        return BillableMetric(
            code: code, name: name, description: description, aggregationType: aggregationType,
            fieldName: fieldName, recurring: recurring, filters: filters.map(\.value), rounding: rounding)
    }

    /// Lago's `weighted_interval`: "seconds" (the only one Lago has) for weighted_sum_agg, where it is
    /// the default; absent or null for the others.
    private static func decodeWeightedInterval(_ reader: inout CatalogObjectReader, aggregationType: AggregationType?) {
        guard let value = reader.value("weighted_interval"), value != .null else { return }
        guard aggregationType == .weightedSumAgg else {
            reader.fail("weighted_interval", "applies to weighted_sum_agg only: leave it out or null")
            return
        }
        guard value == .string("seconds") else {
            reader.fail("weighted_interval", "must be \"seconds\" (got \(value.serialized))")
            return
        }
    }

    /// Lago's `rounding_function` (round, ceil, floor) and `rounding_precision` (a whole number,
    /// default 0). The outer nil is an error; the inner one, no rounding.
    private static func decodeRounding(_ reader: inout CatalogObjectReader) -> UnitRounding?? {
        let precisionGiven = reader.has("rounding_precision")
        let precision = reader.integer("rounding_precision", in: UnitRounding.precisions, default: 0)
        guard reader.has("rounding_function") else {
            if precisionGiven {
                reader.fail("rounding_precision", "needs a rounding_function (round, ceil or floor)")
                return .none
            }
            reader.skip("rounding_function")
            return .some(nil)
        }
        guard let function = reader.choice("rounding_function", of: UnitRounding.Function.self), let precision else { return .none }
        return .some(UnitRounding(function: function, precision: Int(precision)))
    }

    private static func decodeMetricFilter(_ reader: inout CatalogObjectReader) -> MetricFilter? {
        let key = reader.requiredString("key")
        let values: [String]?
        if let value = reader.value("values") {
            values = stringList(value, path: reader.path(of: "values"), log: reader.log)
        } else {
            reader.fail("values", "is required")
            values = nil
        }
        reader.apply(.metricFilter)
        guard let key, let values else { return nil }
        return MetricFilter(key: key, values: values)
    }
}
