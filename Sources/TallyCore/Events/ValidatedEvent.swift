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
    /// The value of the metric's `field_name` property.
    public let units: ExactDecimal

    public init(
        subscriptionId: Int64, transactionId: String, code: String, timestamp: UTCInstant,
        properties: [(key: String, value: String)], units: ExactDecimal
    ) {
        self.subscriptionId = subscriptionId
        self.transactionId = transactionId
        self.code = code
        self.timestamp = timestamp
        self.properties = properties
        self.units = units
    }

    public static func == (lhs: ValidatedEvent, rhs: ValidatedEvent) -> Bool {
        lhs.subscriptionId == rhs.subscriptionId && lhs.transactionId == rhs.transactionId
            && lhs.code == rhs.code && lhs.timestamp == rhs.timestamp && lhs.units == rhs.units
            && lhs.properties.elementsEqual(rhs.properties, by: { $0.key == $1.key && $0.value == $1.value })
    }

    /// The properties as a JSON object text, keys in order, every value a string.
    public var propertiesJSON: String { Self.json(properties) }

    /// The properties named in `keys` (a metric's filter keys), as `propertiesJSON` writes them: the
    /// event's usage bucket.
    public func propertiesJSON(only keys: [String: Set<String>]) -> String {
        Self.json(properties.filter { keys[$0.key] != nil })
    }

    private static func json(_ properties: [(key: String, value: String)]) -> String {
        let object = JSONObject(properties.map { (key: $0.key, value: JSONValue.string($0.value)) })
        return JSONValue.object(object).serialized
    }
}
