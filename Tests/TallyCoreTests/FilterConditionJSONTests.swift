import Testing
import TallyCore

/// A charge filter's values as a fee stores them and an invoice shows them: `{"key": ["value", …]}`.
@Suite struct FilterConditionJSONTests {
    let conditions = [
        FilterCondition(key: "type", values: ["input"]),
        FilterCondition(key: "model", values: ["small", "medium"]),
        FilterCondition(key: "region", values: []),
    ]

    @Test func theJSONIsAnObjectOfStringArraysInTheFiltersKeyOrder() throws {
        let object = try #require(conditions.json.objectValue)
        #expect(object.keys == ["type", "model", "region"])
        #expect(object["type"] == .array([.string("input")]))
        #expect(object["model"] == .array([.string("small"), .string("medium")]))
        #expect(object["region"] == .array([]))
        #expect(conditions.json.serialized == #"{"type":["input"],"model":["small","medium"],"region":[]}"#)
    }

    @Test func theJSONReadsBackAsTheSameConditions() throws {
        #expect([FilterCondition](json: conditions.json) == conditions)
        let reversed = Array(conditions.reversed())
        #expect([FilterCondition](json: reversed.json) == reversed, "key order survives the round trip")
        #expect([FilterCondition](json: [FilterCondition]().json) == [])
    }

    @Test func parsedTextKeepsItsKeyOrder() throws {
        let parsed = try JSONParser.parse(#"{"z": ["1", "0"], "a": ["x"]}"#)
        let read = try #require([FilterCondition](json: parsed))
        #expect(read == [FilterCondition(key: "z", values: ["1", "0"]), FilterCondition(key: "a", values: ["x"])])
    }

    @Test(arguments: [
        JSONValue.null, .string("model"), .array([.array([.string("small")])]), .number("1"), .bool(true),
        ["model": "small"],
        ["model": [1]],
        ["model": [.null]],
        ["model": [["small"]]],
        ["type": ["input"], "model": ["small", 2]],
    ] as [JSONValue])
    func aValueThatIsNotAnObjectOfStringArraysIsRefused(_ value: JSONValue) {
        #expect([FilterCondition](json: value) == nil)
    }
}
