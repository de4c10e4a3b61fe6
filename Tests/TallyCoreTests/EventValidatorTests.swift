import Testing
import TallyCore

/// 2026-09-01T00:00:00Z, when both test subscriptions start.
private let septemberStart = UTCInstant(microsecondsSinceEpoch: 1_788_220_800_000_000)
/// 2026-09-30T23:59:59Z, when `sub_ended` ends.
private let septemberEnd = UTCInstant(microsecondsSinceEpoch: 1_790_812_799_000_000)

private let catalog = IngestCatalog(
    metrics: [
        IngestCatalog.Metric(
            code: "ai_tokens", fieldName: "tokens",
            filterValues: [
                "model": ["mistral-small", "mistral-medium", "mistral-large"],
                "type": ["input", "output"],
            ]),
        IngestCatalog.Metric(code: "api_calls", fieldName: "calls", filterValues: [:]),
    ],
    subscriptions: [
        IngestCatalog.Subscription(id: 11, externalId: "sub_open", startedAt: septemberStart, endingAt: nil),
        IngestCatalog.Subscription(id: 12, externalId: "sub_ended", startedAt: septemberStart, endingAt: septemberEnd),
        IngestCatalog.Subscription(id: 13, externalId: "42", startedAt: septemberStart, endingAt: nil),
    ])

private let standardProperties: JSONValue = ["tokens": 2_000_000, "model": "mistral-small", "type": "input"]

/// An `ai_tokens` event that passes every rule; each argument replaces one field (nil leaves it out).
private func tokensEvent(
    transactionId: JSONValue? = "tx-1",
    subscription: JSONValue? = "sub_open",
    code: JSONValue? = "ai_tokens",
    timestamp: JSONValue? = 1_790_000_000,
    properties: JSONValue? = standardProperties
) -> JSONValue {
    let fields: [(key: String, value: JSONValue?)] = [
        ("transaction_id", transactionId), ("external_subscription_id", subscription), ("code", code),
        ("timestamp", timestamp), ("properties", properties),
    ]
    return .object(JSONObject(fields.compactMap { field in field.value.map { (key: field.key, value: $0) } }))
}

/// `standardProperties` with `key` set to `value` (nil removes it).
private func tokensEvent(property key: String, _ value: JSONValue?) -> JSONValue {
    var properties = standardProperties.objectValue!
    properties[key] = value
    return tokensEvent(properties: .object(properties))
}

/// An event that breaks one or more rules, and the reason it must get.
struct EventRuleBreak: Sendable, CustomTestStringConvertible {
    let label: String
    let event: JSONValue
    let reason: RejectReason

    init(_ label: String, _ event: JSONValue, _ reason: RejectReason) {
        self.label = label
        self.event = event
        self.reason = reason
    }

    var testDescription: String { "\(label) → \(reason.rawValue)" }
}

@Suite struct EventValidatorTests {
    private let validator = EventValidator(catalog: catalog)

    // MARK: The valid event

    @Test func standardEventIsAccepted() throws {
        let event = try accepted(tokensEvent())
        #expect(event.subscriptionId == 11)
        #expect(event.transactionId == "tx-1")
        #expect(event.code == "ai_tokens")
        #expect(event.timestamp == UTCInstant(microsecondsSinceEpoch: 1_790_000_000_000_000))
        #expect(event.units == ExactDecimal(2_000_000))
        #expect(event.canonicalJSON == #"{"model":"mistral-small","tokens":"2000000","type":"input"}"#)
    }

    @Test func parsedNDJSONLineIsAccepted() throws {
        let line = #"{"transaction_id": "tx-9", "external_subscription_id": "sub_ended", "code": "ai_tokens", "timestamp": "2026-09-21T16:13:20+02:00", "properties": {"tokens": "1500.5", "model": "mistral-large", "type": "output"}}"#
        let event = try accepted(try JSONParser.parse(line))
        #expect(event.subscriptionId == 12)
        #expect(event.timestamp == UTCInstant(microsecondsSinceEpoch: 1_790_000_000_000_000))
        #expect(event.units == ExactDecimal(decimalString: "1500.5"))
    }

    // MARK: One rule each

    @Test(arguments: [
        EventRuleBreak("array", [1, 2], .malformed),
        EventRuleBreak("string", "tx-1", .malformed),
        EventRuleBreak("number", 7, .malformed),
        EventRuleBreak("null", .null, .malformed),
        EventRuleBreak("bool", true, .malformed),
        EventRuleBreak("properties a string", tokensEvent(properties: "tokens=5"), .malformed),
        EventRuleBreak("properties an array", tokensEvent(properties: [standardProperties]), .malformed),
        EventRuleBreak("properties a number", tokensEvent(properties: 5), .malformed),

        EventRuleBreak("no transaction_id", tokensEvent(transactionId: nil), .missingField),
        EventRuleBreak("empty transaction_id", tokensEvent(transactionId: ""), .missingField),
        EventRuleBreak("null transaction_id", tokensEvent(transactionId: .null), .missingField),
        EventRuleBreak("object transaction_id", tokensEvent(transactionId: ["id": "tx-1"]), .missingField),
        EventRuleBreak("array transaction_id", tokensEvent(transactionId: ["tx-1"]), .missingField),
        EventRuleBreak("bool transaction_id", tokensEvent(transactionId: true), .missingField),
        EventRuleBreak("no external_subscription_id", tokensEvent(subscription: nil), .missingField),
        EventRuleBreak("empty external_subscription_id", tokensEvent(subscription: ""), .missingField),
        EventRuleBreak("no code", tokensEvent(code: nil), .missingField),
        EventRuleBreak("empty code", tokensEvent(code: ""), .missingField),
        EventRuleBreak("no timestamp", tokensEvent(timestamp: nil), .missingField),
        EventRuleBreak("empty timestamp", tokensEvent(timestamp: ""), .missingField),
        EventRuleBreak("null timestamp", tokensEvent(timestamp: .null), .missingField),

        EventRuleBreak("words", tokensEvent(timestamp: "yesterday"), .invalidTimestamp),
        EventRuleBreak("no offset", tokensEvent(timestamp: "2026-09-21T14:13:20"), .invalidTimestamp),
        EventRuleBreak("before 2000", tokensEvent(timestamp: "1999-12-31T23:59:59Z"), .invalidTimestamp),
        EventRuleBreak("after 2100", tokensEvent(timestamp: 4_102_444_801), .invalidTimestamp),
        EventRuleBreak("bool", tokensEvent(timestamp: true), .invalidTimestamp),
        EventRuleBreak("object", tokensEvent(timestamp: ["seconds": 1_790_000_000]), .invalidTimestamp),

        EventRuleBreak("unknown code", tokensEvent(code: "gpu_hours"), .unknownMetric),
        EventRuleBreak("code in another case", tokensEvent(code: "AI_TOKENS"), .unknownMetric),

        EventRuleBreak("unknown subscription", tokensEvent(subscription: "sub_nope"), .unknownSubscription),
        EventRuleBreak("subscription in another case", tokensEvent(subscription: "SUB_OPEN"), .unknownSubscription),

        EventRuleBreak("no tokens", tokensEvent(property: "tokens", nil), .missingAggregationProperty),
        EventRuleBreak("null tokens", tokensEvent(property: "tokens", .null), .missingAggregationProperty),
        EventRuleBreak("no properties", tokensEvent(properties: nil), .missingAggregationProperty),
        EventRuleBreak("null properties", tokensEvent(properties: .null), .missingAggregationProperty),
        EventRuleBreak("empty properties", tokensEvent(properties: [:]), .missingAggregationProperty),

        EventRuleBreak("words", tokensEvent(property: "tokens", "lots"), .invalidAggregationProperty),
        EventRuleBreak("empty string", tokensEvent(property: "tokens", ""), .invalidAggregationProperty),
        EventRuleBreak("exponent string", tokensEvent(property: "tokens", "1e3"), .invalidAggregationProperty),
        EventRuleBreak("trailing point", tokensEvent(property: "tokens", "1."), .invalidAggregationProperty),
        EventRuleBreak("leading point", tokensEvent(property: "tokens", ".5"), .invalidAggregationProperty),
        EventRuleBreak("plus sign", tokensEvent(property: "tokens", "+5"), .invalidAggregationProperty),
        EventRuleBreak("spaces", tokensEvent(property: "tokens", " 5"), .invalidAggregationProperty),
        EventRuleBreak("bool", tokensEvent(property: "tokens", true), .invalidAggregationProperty),
        EventRuleBreak("array", tokensEvent(property: "tokens", [5]), .invalidAggregationProperty),
        EventRuleBreak("object", tokensEvent(property: "tokens", ["value": 5]), .invalidAggregationProperty),
        EventRuleBreak("39 digits", tokensEvent(property: "tokens", .number(String(repeating: "9", count: 39))), .invalidAggregationProperty),

        EventRuleBreak("model in another case", tokensEvent(property: "model", "Mistral-Small"), .invalidFilterValue),
        EventRuleBreak("unknown model", tokensEvent(property: "model", "mistral-xl"), .invalidFilterValue),
        EventRuleBreak("model with a space", tokensEvent(property: "model", "mistral-small "), .invalidFilterValue),
        EventRuleBreak("type in another case", tokensEvent(property: "type", "INPUT"), .invalidFilterValue),
        EventRuleBreak("empty type", tokensEvent(property: "type", ""), .invalidFilterValue),
        EventRuleBreak("number model", tokensEvent(property: "model", 5), .invalidFilterValue),
        EventRuleBreak("bool type", tokensEvent(property: "type", true), .invalidFilterValue),

        EventRuleBreak("a second before start", tokensEvent(timestamp: "2026-08-31T23:59:59Z"), .outsideSubscription),
        EventRuleBreak("a microsecond before start", tokensEvent(timestamp: "2026-08-31T23:59:59.999999Z"), .outsideSubscription),
        EventRuleBreak("a microsecond after end", tokensEvent(subscription: "sub_ended", timestamp: "2026-09-30T23:59:59.000001Z"), .outsideSubscription),
        EventRuleBreak("a day after end", tokensEvent(subscription: "sub_ended", timestamp: "2026-10-01T23:59:59Z"), .outsideSubscription),
    ])
    func eventBreakingOneRuleGetsItsReason(_ rule: EventRuleBreak) {
        #expect(rejection(rule.event)?.reason == rule.reason)
    }

    @Test func rejectionMessageNamesTheProblem() {
        #expect(rejection(tokensEvent(code: "gpu_hours"))?.message.contains(#""gpu_hours""#) == true)
        #expect(rejection(tokensEvent(property: "model", "Mistral-Small"))?.message.contains("Mistral-Small") == true)
        #expect(rejection(tokensEvent(transactionId: nil))?.message.contains("transaction_id") == true)
    }

    // MARK: Order of the rules

    /// Each event breaks two rules; it must get the one earlier in the table of reject reasons
    /// (docs/BILLING.md).
    @Test(arguments: [
        EventRuleBreak("properties not an object + no transaction_id",
                  tokensEvent(transactionId: nil, properties: "x"), .malformed),
        EventRuleBreak("properties not an object + unknown metric",
                  tokensEvent(code: "gpu_hours", properties: [1]), .malformed),
        EventRuleBreak("properties not an object + unknown subscription",
                  tokensEvent(subscription: "sub_nope", properties: 5), .malformed),
        EventRuleBreak("no transaction_id + bad timestamp",
                  tokensEvent(transactionId: nil, timestamp: "yesterday"), .missingField),
        EventRuleBreak("no timestamp + unknown metric",
                  tokensEvent(code: "gpu_hours", timestamp: nil), .missingField),
        EventRuleBreak("no code + unknown subscription",
                  tokensEvent(subscription: "sub_nope", code: nil), .missingField),
        EventRuleBreak("bad timestamp + unknown metric",
                  tokensEvent(code: "gpu_hours", timestamp: "yesterday"), .invalidTimestamp),
        EventRuleBreak("timestamp before 2000 + before subscription start",
                  tokensEvent(timestamp: "1999-12-31T23:59:59Z"), .invalidTimestamp),
        EventRuleBreak("unknown metric + unknown subscription",
                  tokensEvent(subscription: "sub_nope", code: "gpu_hours"), .unknownMetric),
        EventRuleBreak("unknown subscription + no tokens",
                  tokensEvent(subscription: "sub_nope", properties: ["model": "mistral-small"]), .unknownSubscription),
        EventRuleBreak("no tokens + bad model",
                  tokensEvent(properties: ["model": "gpt"]), .missingAggregationProperty),
        EventRuleBreak("bad tokens + bad model",
                  tokensEvent(properties: ["tokens": "lots", "model": "gpt"]), .invalidAggregationProperty),
        EventRuleBreak("bad model + before start",
                  tokensEvent(timestamp: "2026-08-01T00:00:00Z", properties: ["tokens": 1, "model": "gpt"]), .invalidFilterValue),
        EventRuleBreak("everything wrong",
                  ["code": "gpu_hours", "timestamp": "yesterday", "properties": ["model": "gpt"]], .missingField),
    ])
    func earlierRuleWins(_ rule: EventRuleBreak) {
        #expect(rejection(rule.event)?.reason == rule.reason)
    }

    // MARK: Wrapped events

    @Test func wrappedEventIsReadLikeABareOne() throws {
        let bare = try accepted(tokensEvent())
        #expect(try accepted(["event": tokensEvent()]) == bare)
        let line = #"{"event": {"transaction_id": "tx-1", "external_subscription_id": "sub_open", "code": "ai_tokens", "timestamp": 1790000000, "properties": {"tokens": 2000000, "model": "mistral-small", "type": "input"}}}"#
        #expect(try accepted(try JSONParser.parse(line)) == bare)
    }

    @Test func wrappedEventIsValidatedByTheSameRules() {
        #expect(rejection(["event": tokensEvent(code: "gpu_hours")])?.reason == .unknownMetric)
        #expect(rejection(["event": tokensEvent(property: "model", "Mistral-Small")])?.reason == .invalidFilterValue)
        #expect(rejection(["event": tokensEvent(properties: "x")])?.reason == .malformed)
    }

    @Test(arguments: [JSONValue.string("x"), 5, [tokensEvent()], .null])
    func wrapperAroundANonObjectIsMissingItsFields(inner: JSONValue) {
        #expect(rejection(["event": inner])?.reason == .missingField)
    }

    // MARK: Properties

    @Test(arguments: [JSONValue.number("100"), .string("100"), .string("100.0"), .number("100.00"), .number("1e2"), .string("0100")])
    func numericPropertyFormsGiveTheSameEvent(tokens: JSONValue) throws {
        let reference = try accepted(tokensEvent(property: "tokens", 100))
        let event = try accepted(tokensEvent(property: "tokens", tokens))
        #expect(event == reference)
        #expect(event.canonicalJSON == reference.canonicalJSON)
        #expect(event.properties.map(\.key) == reference.properties.map(\.key))
        #expect(event.properties.map(\.value) == reference.properties.map(\.value))
        #expect(event.units == ExactDecimal(100))
        #expect(event.canonicalJSON == #"{"model":"mistral-small","tokens":"100","type":"input"}"#)
    }

    @Test func nonAggregationNumericPropertyIsCanonicalToo() throws {
        let number = try accepted(tokensEvent(property: "region_id", .number("7.50")))
        let string = try accepted(tokensEvent(property: "region_id", "7.5"))
        #expect(number == string)
        #expect(value(of: "region_id", in: number) == "7.5")
    }

    @Test func textPropertyStaysAsWritten() throws {
        let event = try accepted(tokensEvent(property: "region", "EU-West 1"))
        #expect(value(of: "model", in: event) == "mistral-small")
        #expect(value(of: "type", in: event) == "input")
        #expect(value(of: "region", in: event) == "EU-West 1")
    }

    @Test func nullPropertyIsTheSameAsAbsent() throws {
        let withNull = try accepted(tokensEvent(property: "region", .null))
        let without = try accepted(tokensEvent())
        #expect(withNull == without)
        #expect(withNull.canonicalJSON == without.canonicalJSON)
        #expect(value(of: "region", in: withNull) == nil)
    }

    @Test func nullFilterPropertyIsTheSameAsAbsent() throws {
        #expect(try accepted(tokensEvent(property: "model", .null)) == accepted(tokensEvent(property: "model", nil)))
    }

    @Test func booleanPropertyIsTrueOrFalse() throws {
        let event = try accepted(tokensEvent(properties: ["tokens": 1, "cached": true, "streamed": false]))
        #expect(value(of: "cached", in: event) == "true")
        #expect(value(of: "streamed", in: event) == "false")
        #expect(event.canonicalJSON == #"{"cached":"true","streamed":"false","tokens":"1"}"#)
    }

    @Test func nestedPropertyIsKeptAsCompactJSON() throws {
        let event = try accepted(tokensEvent(properties: ["tokens": 1, "meta": ["b": [1, "x"], "a": .null]]))
        #expect(value(of: "meta", in: event) == #"{"b":[1,"x"],"a":null}"#)
    }

    @Test func propertiesJSONDoesNotDependOnKeyOrder() throws {
        let forward = try accepted(tokensEvent(properties: ["tokens": 5, "model": "mistral-small", "type": "input"]))
        let backward = try accepted(tokensEvent(properties: ["type": "input", "model": "mistral-small", "tokens": 5]))
        #expect(forward.canonicalJSON == backward.canonicalJSON)
    }

    // MARK: Filters

    @Test(arguments: ["mistral-small", "mistral-medium", "mistral-large"])
    func everyFilterValueIsAccepted(model: String) throws {
        #expect(value(of: "model", in: try accepted(tokensEvent(property: "model", .string(model)))) == model)
    }

    @Test func propertyOutsideTheFilterKeysIsFree() throws {
        let event = try accepted(tokensEvent(property: "Model", "anything at all"))
        #expect(value(of: "Model", in: event) == "anything at all")
        _ = try accepted(tokensEvent(property: "region", "Mistral-Small"))
    }

    @Test func absentFilterPropertyIsAccepted() throws {
        _ = try accepted(tokensEvent(properties: ["tokens": 1]))
        _ = try accepted(tokensEvent(properties: ["tokens": 1, "type": "output"]))
    }

    @Test func metricWithoutFiltersAcceptsAnyProperty() throws {
        let event = try accepted(tokensEvent(code: "api_calls", properties: ["calls": 3, "model": "Mistral-Small"]))
        #expect(event.code == "api_calls")
        #expect(event.units == ExactDecimal(3))
        #expect(rejection(tokensEvent(code: "api_calls"))?.reason == .missingAggregationProperty)
    }

    // MARK: Units

    @Test(arguments: [
        (JSONValue.string("0.1"), "0.1"), (.number("0.1"), "0.1"), (.number("1.5e-3"), "0.0015"),
        (.string("2000000"), "2000000"), (.number("-5"), "-5"), (.string("1500.50"), "1500.5"), (.number("0"), "0"),
        (.string("999999999999999.999999999999"), "999999999999999.999999999999"),
        (.number("-999999999999999.000000000001"), "-999999999999999.000000000001"),
    ])
    func unitsAreExact(tokens: JSONValue, units: String) throws {
        let event = try accepted(tokensEvent(property: "tokens", tokens))
        #expect(event.units == ExactDecimal(decimalString: units))
        #expect(event.units.description == units)
    }

    /// Beyond 15 digits before the point or 12 after it, a month of such events could exceed what
    /// Tally sums and bills exactly: the event is rejected where it enters, with the limit.
    @Test(arguments: [
        JSONValue.string("1000000000000000"), .number("1e15"), .number("1e24"), .string("-1000000000000000"),
        .string("0.0000000000001"), .number("12345678901234567890.123456789012345678"), .string("1.1234567890123"),
    ])
    func unitsBeyondTheLimitsAreRejected(tokens: JSONValue) throws {
        let rejected = try #require(rejection(tokensEvent(property: "tokens", tokens)))
        #expect(rejected.reason == .invalidAggregationProperty)
        #expect(rejected.message.contains("at most 15 digits before the decimal point and 12 after it"), "\(rejected.message)")
    }

    @Test func unitsSumWithoutRounding() throws {
        let tenths = try (0..<10).map { _ in try accepted(tokensEvent(property: "tokens", "0.1")).units }
        #expect(tenths.reduce(ExactDecimal.zero, +) == ExactDecimal(1))
    }

    // MARK: Subscription bounds

    @Test func subscriptionBoundsAreInclusive() throws {
        #expect(try accepted(tokensEvent(timestamp: "2026-09-01T00:00:00Z")).timestamp == septemberStart)
        #expect(try accepted(tokensEvent(subscription: "sub_ended", timestamp: "2026-09-01T00:00:00Z")).timestamp == septemberStart)
        #expect(try accepted(tokensEvent(subscription: "sub_ended", timestamp: "2026-09-30T23:59:59Z")).timestamp == septemberEnd)
        #expect(try accepted(tokensEvent(subscription: "sub_ended", timestamp: "2026-10-01T01:59:59+02:00")).timestamp == septemberEnd)
    }

    @Test func subscriptionWithoutEndAcceptsAnyLaterInstant() throws {
        _ = try accepted(tokensEvent(timestamp: "2099-12-31T23:59:59Z"))
        #expect(rejection(tokensEvent(subscription: "sub_ended", timestamp: "2099-12-31T23:59:59Z"))?.reason == .outsideSubscription)
    }

    // MARK: Identifiers

    @Test(arguments: [("12345", "12345"), ("1.50", "1.50"), ("-7", "-7"), ("1e3", "1e3")])
    func numericTransactionIdKeepsItsLiteralText(literal: String, transactionId: String) throws {
        #expect(try accepted(tokensEvent(transactionId: .number(literal))).transactionId == transactionId)
    }

    @Test func numericTransactionIdFromAParsedLine() throws {
        let line = #"{"transaction_id": 9007199254740993, "external_subscription_id": "sub_open", "code": "ai_tokens", "timestamp": 1790000000, "properties": {"tokens": 1}}"#
        #expect(try accepted(try JSONParser.parse(line)).transactionId == "9007199254740993")
    }

    @Test func numericSubscriptionIdIsLookedUpByItsText() throws {
        #expect(try accepted(tokensEvent(subscription: 42)).subscriptionId == 13)
    }

    @Test func transactionIdTextIsKeptAsWritten() throws {
        #expect(try accepted(tokensEvent(transactionId: " Tx 日本 ")).transactionId == " Tx 日本 ")
    }

    // MARK: Helpers

    private func accepted(_ event: JSONValue, sourceLocation: SourceLocation = #_sourceLocation) throws -> ValidatedEvent {
        switch validator.validate(event) {
        case .success(let validated):
            return validated
        case .failure(let rejection):
            Issue.record("rejected \(rejection.reason.rawValue): \(rejection.message)", sourceLocation: sourceLocation)
            throw rejection
        }
    }

    private func rejection(_ event: JSONValue, sourceLocation: SourceLocation = #_sourceLocation) -> EventRejection? {
        switch validator.validate(event) {
        case .success(let validated):
            Issue.record("accepted \(validated.transactionId), expected a rejection", sourceLocation: sourceLocation)
            return nil
        case .failure(let rejection):
            return rejection
        }
    }

    private func value(of key: String, in event: ValidatedEvent) -> String? {
        event.properties.first { $0.key == key }?.value
    }
}

extension ValidatedEvent {
    /// Every property by its meaning, as a JSON object of strings.
    fileprivate var canonicalJSON: String {
        propertiesJSON(only: Dictionary(properties.map { ($0.key, Set<String>()) }, uniquingKeysWith: { $1 }))
    }
}
