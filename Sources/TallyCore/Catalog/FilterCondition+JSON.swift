extension Array where Element == FilterCondition {
    /// `{"model": ["small"], "type": ["input"]}`, keys in the filter's order: how a fee stores, and
    /// an invoice shows, the charge filter that priced it.
    public var json: JSONValue {
        .object(JSONObject(map { ($0.key, .array($0.values.map { .string($0) })) }))
    }

    /// The conditions `json` writes, read back; nil when `value` is not an object of string arrays.
    public init?(json value: JSONValue) {
        guard case .object(let object) = value else { return nil }
        var conditions: [FilterCondition] = []
        for (key, entry) in object.entries {
            guard case .array(let items) = entry else { return nil }
            var values: [String] = []
            for item in items {
                guard case .string(let text) = item else { return nil }
                values.append(text)
            }
            conditions.append(FilterCondition(key: key, values: values))
        }
        self = conditions
    }
}
