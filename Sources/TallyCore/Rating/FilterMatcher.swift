/// Picks the charge filter an event is priced by (docs/BILLING.md, rating).
public enum FilterMatcher {
    /// The index in `filters` of the filter `properties` match, or nil for the charge's default bucket.
    ///
    /// A filter matches when every key of its `values` is among the properties with a value in that key's
    /// list. Of several matches the one with the most keys wins; on a tie, the first in plan order.
    /// Values compare as ingest stores them: a decimal-looking value by its canonical form, so a filter
    /// value `"007"` matches the property `"7"`; anything else byte for byte, case-sensitive.
    public static func match(_ properties: [String: String], filters: [ChargeFilter]) -> Int? {
        var best: (index: Int, keys: Int)?
        for (index, filter) in filters.enumerated() {
            let keys = filter.values.count
            if let best, best.keys >= keys { continue }
            let matches = filter.values.allSatisfy { condition in
                guard let value = properties[condition.key] else { return false }
                return condition.values.contains { accepts($0, value) }
            }
            if matches { best = (index, keys) }
        }
        return best?.index
    }

    private static func accepts(_ filterValue: String, _ propertyValue: String) -> Bool {
        if filterValue == propertyValue { return true }
        guard let filterNumber = ExactDecimal(decimalString: filterValue) else { return false }
        return filterNumber.description == propertyValue
    }
}
