extension CatalogDecoder {
    static func decodeBillableMetric(_ reader: inout CatalogObjectReader) -> BillableMetric? {
        let code = reader.requiredString("code")
        let name = reader.requiredString("name")
        let description = reader.optionalString("description")
        let aggregationType = reader.choice("aggregation_type", of: AggregationType.self)
        let fieldName = reader.requiredString("field_name")
        let recurring = reader.flag("recurring", supportedValue: false)
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

        guard let code, let name, let aggregationType, let fieldName, let recurring else { return nil }
        return BillableMetric(
            code: code, name: name, description: description, aggregationType: aggregationType,
            fieldName: fieldName, recurring: recurring, filters: filters.map(\.value))
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
