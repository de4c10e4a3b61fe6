import Testing
import TallyCore

/// docs/BILLING.md, validation: what each aggregation asks of an event's `properties[field_name]`,
/// with the existing reject reasons.
@Suite struct AggregationFieldValidationTests {
    static let start = UTCInstant(microsecondsSinceEpoch: 1_788_220_800_000_000)  // 2026-09-01T00:00:00Z

    static let validator = EventValidator(catalog: IngestCatalog(
        metrics: [
            IngestCatalog.Metric(code: "calls", aggregation: .countAgg, fieldName: nil, filterValues: [:]),
            IngestCatalog.Metric(code: "seats", aggregation: .uniqueCountAgg, fieldName: "user", filterValues: [:]),
            IngestCatalog.Metric(code: "peak", aggregation: .maxAgg, fieldName: "jobs", filterValues: [:]),
        ],
        subscriptions: [IngestCatalog.Subscription(id: 1, externalId: "sub", startedAt: start, endingAt: nil)]))

    static func event(_ code: String, _ properties: JSONValue?) -> JSONValue {
        var fields: [(key: String, value: JSONValue)] = [
            ("transaction_id", "t"), ("external_subscription_id", "sub"), ("code", .string(code)), ("timestamp", 1_790_000_000),
        ]
        if let properties { fields.append(("properties", properties)) }
        return .object(JSONObject(fields))
    }

    @Test func aCountNeedsNoPropertyAndCountsOne() throws {
        let event = try Self.validator.validate(Self.event("calls", nil)).get()
        #expect(event.units == ExactDecimal(1))
        #expect(try Self.validator.validate(Self.event("calls", ["anything": "x"])).get().units == ExactDecimal(1))
    }

    @Test func aUniqueCountCountsAnyScalarAndKnowsItsOperation() throws {
        let metric = try #require(Self.validator.catalog.metrics["seats"])
        for (properties, value, adds) in [
            (["user": "u1"], "u1", true), (["user": 7], "7", true), (["user": "7.0"], "7", true), (["user": true], "true", true),
            (["user": "u1", "operation_type": "add"], "u1", true), (["user": "u1", "operation_type": "remove"], "u1", false),
        ] as [(JSONValue, String, Bool)] {
            let event = try Self.validator.validate(Self.event("seats", properties)).get()
            let unique = try #require(metric.uniqueValue(of: event))
            #expect(unique.value == value && unique.adds == adds, "\(properties)")
            #expect(event.units == ExactDecimal(1))
        }
    }

    @Test(arguments: [
        ("seats", nil, RejectReason.missingAggregationProperty),
        ("seats", ["user": .null] as JSONValue, .missingAggregationProperty),
        ("seats", ["user": ["a", "b"]] as JSONValue, .invalidAggregationProperty),
        ("seats", ["user": ["id": 1]] as JSONValue, .invalidAggregationProperty),
        ("seats", ["user": "u1", "operation_type": "delete"] as JSONValue, .invalidAggregationProperty),
        ("seats", ["user": "u1", "operation_type": 1] as JSONValue, .invalidAggregationProperty),
        ("peak", ["jobs": "many"] as JSONValue, .invalidAggregationProperty),
        ("peak", ["other": 1] as JSONValue, .missingAggregationProperty),
    ] as [(String, JSONValue?, RejectReason)])
    func aFieldTheAggregationCannotUseIsRejected(code: String, properties: JSONValue?, reason: RejectReason) {
        guard case .failure(let rejection) = Self.validator.validate(Self.event(code, properties)) else {
            Issue.record("\(code) \(String(describing: properties)) was accepted")
            return
        }
        #expect(rejection.reason == reason, "\(rejection.message)")
    }
}
