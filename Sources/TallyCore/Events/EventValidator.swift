/// Applies the validation rules (docs/BILLING.md), in the order of the table of reject reasons, to one
/// decoded event.
///
/// The first rule an event breaks is its reject reason. Deduplication (`duplicate_conflict`) needs
/// the store and is done there.
public struct EventValidator: Sendable {
    public let catalog: IngestCatalog

    /// The longest `transaction_id` stored, in bytes: it is part of the events' unique key, which
    /// PostgreSQL keeps in an index whose entries must stay under about 2.7 kB.
    public static let maximumTransactionIdBytes = 1_000

    public init(catalog: IngestCatalog) { self.catalog = catalog }

    public func validate(_ value: JSONValue) -> Result<ValidatedEvent, EventRejection> {
        guard case .object(var event) = value else {
            return .failure(EventRejection(.malformed, "expected a JSON object (got \(value.kindName))"))
        }
        if event["transaction_id"] == nil, case .object(let inner)? = event["event"] { event = inner }
        return Result { () throws(EventRejection) in try validate(event) }
    }

    private func validate(_ event: JSONObject) throws(EventRejection) -> ValidatedEvent {
        switch event["properties"] {
        case nil, .null?, .object?: break
        case let other?: throw EventRejection(.malformed, "properties must be an object (got \(other.kindName))")
        }
        let transactionId = try requiredText(event, "transaction_id")
        guard transactionId.utf8.count <= Self.maximumTransactionIdBytes else {
            throw EventRejection(.malformed, "transaction_id is \(transactionId.utf8.count) bytes long: at most \(Self.maximumTransactionIdBytes) are kept")
        }
        let subscriptionId = try requiredText(event, "external_subscription_id")
        let code = try requiredText(event, "code")
        guard let rawTimestamp = event["timestamp"], !Self.isEmpty(rawTimestamp) else {
            throw EventRejection(.missingField, "timestamp is missing: give Unix seconds or an RFC 3339 date-time")
        }
        let timestamp: UTCInstant
        do { timestamp = try TimestampParser.parse(rawTimestamp) } catch { throw EventRejection(.invalidTimestamp, error.message) }

        guard let metric = catalog.metrics[code] else {
            throw EventRejection(.unknownMetric, "code \(Self.quoted(code)) names no billable metric: apply a catalog that defines it, or fix the code")
        }
        guard let phases = catalog.subscriptions[subscriptionId], let latest = phases.first else {
            throw EventRejection(.unknownSubscription, "external_subscription_id \(Self.quoted(subscriptionId)) names no subscription: apply a catalog that defines it, or fix the id")
        }

        var properties: [(key: String, value: String)] = []
        var sentProperties = "{}"
        if case .object(let object)? = event["properties"] {
            for (key, value) in object.entries where Self.containsNUL(key) || Self.containsNUL(value) {
                throw EventRejection(.malformed, "properties.\(Self.quoted(key)) holds a NUL character (\\u0000), which cannot be stored: remove it")
            }
            properties = ValidatedEvent.canonicalProperties(object)
            sentProperties = JSONValue.object(object).serialized
        }

        let units = try aggregationUnits(event["properties"]?.objectValue, metric: metric)
        try checkFilterValues(event["properties"]?.objectValue, metric: metric)

        // The phase the event falls in: the latest to start at or before it.
        guard let subscription = phases.first(where: { $0.startedAt <= timestamp }) else {
            let start = phases.last?.startedAt ?? latest.startedAt
            throw EventRejection(.outsideSubscription, "timestamp \(timestamp) is before subscription \(Self.quoted(subscriptionId)) started (\(start))")
        }
        if let endingAt = subscription.endingAt, timestamp > endingAt {
            throw EventRejection(.outsideSubscription, "timestamp \(timestamp) is after subscription \(Self.quoted(subscriptionId)) ended (\(endingAt))")
        }
        return ValidatedEvent(
            subscriptionId: subscription.id, transactionId: transactionId, code: code,
            timestamp: timestamp, properties: properties, sentProperties: sentProperties, units: units)
    }

    private func requiredText(_ event: JSONObject, _ field: String) throws(EventRejection) -> String {
        switch event[field] {
        case .string(let text)? where Self.containsNUL(text):
            throw EventRejection(.malformed, "\(field) holds a NUL character (\\u0000), which cannot be stored: remove it")
        case .string(let text)? where !text.isEmpty: return text
        case .number(let literal)?: return literal
        case nil, .null?, .string?:
            throw EventRejection(.missingField, "\(field) is missing or empty")
        case let other?:
            throw EventRejection(.missingField, "\(field) must be a string (got \(other.kindName))")
        }
    }

    /// What the event adds to its metric's `units`: 1 for an event counted (count and unique
    /// count, whose value is checked here and bucketed by `MonthlyUsage`), else the field's value.
    private func aggregationUnits(_ properties: JSONObject?, metric: IngestCatalog.Metric) throws(EventRejection) -> ExactDecimal {
        guard let fieldName = metric.fieldName, metric.aggregation.needsField else { return ExactDecimal(1) }
        let value = properties?[fieldName]
        guard metric.aggregation.needsNumericField else {
            try checkUniqueCount(value, operation: properties?[IngestCatalog.Metric.operationTypeKey], field: fieldName, metric: metric)
            return ExactDecimal(1)
        }
        return try aggregationValue(value, field: fieldName, metric: metric)
    }

    /// A unique count's field may be any string, number or boolean; `operation_type` is "add"
    /// (the default) or "remove".
    private func checkUniqueCount(
        _ value: JSONValue?, operation: JSONValue?, field fieldName: String, metric: IngestCatalog.Metric
    ) throws(EventRejection) {
        let field = "properties.\(fieldName)"
        switch value {
        case nil, .null?:
            throw EventRejection(.missingAggregationProperty, "\(field) is missing: metric \(Self.quoted(metric.code)) counts its distinct values")
        case .array?, .object?:
            throw EventRejection(.invalidAggregationProperty, "\(field) must be a string, a number or a boolean to be counted (got \(value?.kindName ?? "?"))")
        default: break
        }
        switch operation {
        case nil, .null?, .string("add")?, .string("remove")?: break
        case let other?:
            throw EventRejection(.invalidAggregationProperty, "properties.operation_type must be \"add\" or \"remove\" (got \(other.serialized))")
        }
    }

    private func aggregationValue(_ value: JSONValue?, field fieldName: String, metric: IngestCatalog.Metric) throws(EventRejection) -> ExactDecimal {
        let field = "properties.\(fieldName)"
        switch value {
        case nil, .null?:
            throw EventRejection(.missingAggregationProperty, "\(field) is missing: metric \(Self.quoted(metric.code)) aggregates it (\(metric.aggregation.rawValue))")
        case .number(let literal)?:
            guard let number = ExactDecimal(jsonNumber: literal) else {
                throw EventRejection(.invalidAggregationProperty, "\(field) \(literal) has more digits than Tally keeps exactly (38)")
            }
            return try bounded(number, written: literal, field: field)
        case .string(let text)?:
            guard let number = ExactDecimal(decimalString: text) else {
                throw EventRejection(.invalidAggregationProperty, "\(field) \(Self.quoted(text)) is not a decimal number like 2000000 or 1500.5")
            }
            return try bounded(number, written: Self.quoted(text), field: field)
        case let other?:
            throw EventRejection(.invalidAggregationProperty, "\(field) must be a number or a decimal string (got \(other.kindName))")
        }
    }

    /// `number` when it is within what Tally bills per event (`BillingLimits.eventUnits`).
    private func bounded(_ number: ExactDecimal, written: String, field: String) throws(EventRejection) -> ExactDecimal {
        guard BillingLimits.eventUnits.admits(number) else {
            throw EventRejection(.invalidAggregationProperty,
                                 "\(field) \(written) is beyond what Tally bills per event: \(BillingLimits.eventUnits)")
        }
        return number
    }

    private func checkFilterValues(_ properties: JSONObject?, metric: IngestCatalog.Metric) throws(EventRejection) {
        guard let properties, !metric.filterValues.isEmpty else { return }
        for (key, value) in properties.entries {
            guard let allowed = metric.filterValues[key] else { continue }
            let text: String
            switch value {
            case .null: continue
            case .string(let string): text = string
            case .number(let literal): text = literal
            case .bool(let flag): text = flag ? "true" : "false"
            case .array, .object: text = value.serialized
            }
            if !allowed.contains(text) {
                throw EventRejection(.invalidFilterValue, "properties.\(key) \(Self.quoted(text)) is not a value of metric \(Self.quoted(metric.code))'s filter (values: \(allowed.sorted().joined(separator: ", ")); case matters)")
            }
        }
    }

    /// PostgreSQL text cannot hold U+0000, which a JSON escape can produce.
    private static func containsNUL(_ text: String) -> Bool { text.utf8.contains(0) }

    /// Whether a NUL is anywhere in `value`: a string, or a key or string nested in it.
    private static func containsNUL(_ value: JSONValue) -> Bool {
        switch value {
        case .string(let text): containsNUL(text)
        case .array(let elements): elements.contains { containsNUL($0) }
        case .object(let object): object.entries.contains { containsNUL($0.key) || containsNUL($0.value) }
        case .null, .bool, .number: false
        }
    }

    private static func isEmpty(_ value: JSONValue) -> Bool {
        switch value {
        case .null: true
        case .string(let text): text.isEmpty
        default: false
        }
    }

    private static func quoted(_ text: String) -> String { JSONValue.quoted(text) }
}
