/// An event that passed every validation rule but deduplication, ready to be stored.
public struct ValidatedEvent: Equatable, Sendable {
    public let subscriptionId: Int64
    public let transactionId: String
    public let code: String
    public let timestamp: UTCInstant
    /// Every property as a string, numbers in canonical decimal form, sorted by key: two events mean the
    /// same thing exactly when code, timestamp and these are equal (docs/BILLING.md, validation and
    /// reject reasons).
    public let properties: [(key: String, value: String)]
    /// The properties object as the export sent it, as JSON text: what is stored (`"007"` stays
    /// `"007"`, `1.50` stays `1.50`).
    public let sentProperties: String
    /// The value of the metric's `field_name` property.
    public let units: ExactDecimal

    /// `sentProperties` nil: the canonical properties, as a JSON object of strings.
    public init(
        subscriptionId: Int64, transactionId: String, code: String, timestamp: UTCInstant,
        properties: [(key: String, value: String)], sentProperties: String? = nil, units: ExactDecimal
    ) {
        self.subscriptionId = subscriptionId
        self.transactionId = transactionId
        self.code = code
        self.timestamp = timestamp
        self.properties = properties
        self.sentProperties = sentProperties ?? Self.json(properties)
        self.units = units
    }

    public static func == (lhs: ValidatedEvent, rhs: ValidatedEvent) -> Bool {
        lhs.subscriptionId == rhs.subscriptionId && lhs.transactionId == rhs.transactionId
            && lhs.code == rhs.code && lhs.timestamp == rhs.timestamp && lhs.units == rhs.units
            && lhs.properties.elementsEqual(rhs.properties, by: { $0.key == $1.key && $0.value == $1.value })
    }

    /// The properties named in `keys` (a metric's filter keys), canonical, as a JSON object of
    /// strings: the filter values of the event's usage bucket.
    public func propertiesJSON(only keys: [String: Set<String>]) -> String {
        Self.json(properties.filter { keys[$0.key] != nil })
    }

    /// Every property of `object` by its meaning, sorted by key: decimal numbers and decimal strings
    /// in canonical form (so 100, "100" and "100.0" are one value), booleans as true/false, nested
    /// values as JSON; a null property is left out, as an absent one. The one rule of what an
    /// event's properties mean, for validation and for telling a duplicate from a conflict.
    public static func canonicalProperties(_ object: JSONObject) -> [(key: String, value: String)] {
        object.entries.compactMap { key, value in canonicalText(value).map { (key, $0) } }.sorted { $0.key < $1.key }
    }

    /// Whether two stored properties objects (JSON text) mean the same; false when either is not
    /// a JSON object.
    public static func sameMeaning(_ lhs: String, _ rhs: String) -> Bool {
        guard case .object(let left)? = try? JSONParser.parse(lhs), case .object(let right)? = try? JSONParser.parse(rhs)
        else { return false }
        return canonicalProperties(left).elementsEqual(canonicalProperties(right), by: { $0.key == $1.key && $0.value == $1.value })
    }

    /// A property's meaning as text; nil for null, which is the same as an absent property.
    static func canonicalText(_ value: JSONValue) -> String? {
        switch value {
        case .null: return nil
        case .string(let text): return ExactDecimal(decimalString: text)?.description ?? text
        case .number(let literal): return ExactDecimal(jsonNumber: literal)?.description ?? literal
        case .bool(let flag): return flag ? "true" : "false"
        case .array, .object: return value.serialized
        }
    }

    private static func json(_ properties: [(key: String, value: String)]) -> String {
        let object = JSONObject(properties.map { (key: $0.key, value: JSONValue.string($0.value)) })
        return JSONValue.object(object).serialized
    }
}
