import Foundation
import Testing
import TallyCore

@Suite struct TimestampParserTests {
    /// 2026-09-21T14:13:20Z
    private static let seedSeconds: Int64 = 1_790_000_000
    private static let seed = UTCInstant(microsecondsSinceEpoch: seedSeconds * 1_000_000)
    /// 2026-10-01T04:00:00Z
    private static let octoberStart = UTCInstant(microsecondsSinceEpoch: 1_790_827_200 * 1_000_000)

    // MARK: Unix seconds

    @Test func integerJSONNumberIsUnixSeconds() throws {
        #expect(try TimestampParser.parse(.number("1790000000")) == Self.seed)
        #expect(Self.seed.description == "2026-09-21T14:13:20Z")
    }

    @Test func decimalSecondsKeepMicrosecondsAndTruncateTheRest() throws {
        #expect(try TimestampParser.parse(.number("1790000000.5")) == Self.seed.adding(microseconds: 500_000))
        #expect(try TimestampParser.parse(.number("1790000000.1234567")) == Self.seed.adding(microseconds: 123_456))
        #expect(try TimestampParser.parse(.number("1790000000.9999999999")) == Self.seed.adding(microseconds: 999_999))
        #expect(try TimestampParser.parse(.number("1790000000.000")) == Self.seed)
    }

    @Test func truncationGoesTowardTheEarlierInstantForNegativeSeconds() {
        #expect(throws: TimestampError.outOfRange(UTCInstant(microsecondsSinceEpoch: -1_000_001))) {
            try TimestampParser.parse(.number("-1.0000005"))
        }
        #expect(throws: TimestampError.outOfRange(UTCInstant(microsecondsSinceEpoch: -1_500_000))) {
            try TimestampParser.parse(text: "-1.5000000")
        }
    }

    @Test func numberWithAnExponentIsEvaluatedExactly() throws {
        #expect(try TimestampParser.parse(.number("1.79e9")) == Self.seed)
        #expect(try TimestampParser.parse(.number("1.7900000001234567E9")) == Self.seed.adding(microseconds: 123_456))
        #expect(throws: TimestampError.unparseable("1e-400")) { try TimestampParser.parse(.number("1e-400")) }
    }

    @Test func numericStringIsUnixSeconds() throws {
        #expect(try TimestampParser.parse(.string("1790000000")) == Self.seed)
        #expect(try TimestampParser.parse(text: "1790000000.25") == Self.seed.adding(microseconds: 250_000))
        let bytes = Array("1790000000".utf8)
        #expect(try bytes.withUnsafeBufferPointer { try TimestampParser.parse(utf8: $0) } == Self.seed)
    }

    @Test func secondsTooLargeForAnInstantAreOutOfRange() {
        #expect(throws: TimestampError.outOfRange(UTCInstant(microsecondsSinceEpoch: .max))) {
            try TimestampParser.parse(text: "99999999999999999999999")
        }
        #expect(throws: TimestampError.outOfRange(UTCInstant(microsecondsSinceEpoch: .min))) {
            try TimestampParser.parse(.number("-1e30"))
        }
    }

    // MARK: RFC 3339

    @Test(arguments: [
        "2026-10-01T04:00:00Z", "2026-10-01T06:00:00+02:00", "2026-10-01T00:00:00-04:00",
        "2026-10-01t04:00:00z", "2026-10-01 04:00:00Z", "2026-09-30T23:30:00-04:30", "2026-10-01T04:00:00-00:00",
        "2026-10-01T04:00:00.000Z",
    ])
    func rfc3339WithOffsetIsConvertedToUTC(_ text: String) throws {
        #expect(try TimestampParser.parse(text: text[...]) == Self.octoberStart)
        #expect(try TimestampParser.parse(.string(text)) == Self.octoberStart)
    }

    @Test func rfc3339FractionIsTruncatedToMicroseconds() throws {
        #expect(try TimestampParser.parse(text: "2026-10-01T04:00:00.5Z")
            == Self.octoberStart.adding(microseconds: 500_000))
        #expect(try TimestampParser.parse(text: "2026-10-01T04:00:00.1234567891Z")
            == Self.octoberStart.adding(microseconds: 123_456))
        #expect(try TimestampParser.parse(text: "2026-10-01T06:00:00.000001+02:00")
            == Self.octoberStart.adding(microseconds: 1))
    }

    @Test(arguments: [
        "2026-10-01T04:00:00", "2026-10-01T04:00:00.5", "2026-10-01", "2026-10-01T04:00Z",
        "2027-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-13-01T00:00:00Z", "2026-00-10T00:00:00Z",
        "2026-10-00T00:00:00Z", "2026-10-01T24:00:00Z", "2026-10-01T23:60:00Z", "2026-10-01T23:59:60Z",
        "2026-10-01T04:00:00+24:00", "2026-10-01T04:00:00+02:60", "2026-10-01T04:00:00+0200",
        "2026-10-01T04:00:00+02", "2026-10-01T04:00:00.Z", "2026-10-01T04:00:00ZZ", "2026-10-1T04:00:00Z",
        "2026-10-01X04:00:00Z", "26-10-01T04:00:00Z", " 2026-10-01T04:00:00Z", "2026-10-01T04:00:00Z ",
        "+2026-10-01T04:00:00Z", "yesterday", "", "1.", ".5", "+1790000000", "1790000000abc", "1e9",
    ])
    func unparseableTextIsRejected(_ text: String) {
        #expect(throws: TimestampError.unparseable(text)) { try TimestampParser.parse(text: text[...]) }
    }

    @Test func leapDaysFollowTheGregorianRules() throws {
        #expect(try TimestampParser.parse(text: "2028-02-29T00:00:00Z").description == "2028-02-29T00:00:00Z")
        #expect(TimestampParser.parseRFC3339("2000-02-29T12:00:00Z") != nil)
        #expect(TimestampParser.parseRFC3339("2100-02-29T12:00:00Z") == nil)
        #expect(TimestampParser.parseRFC3339("2027-02-29T00:00:00Z") == nil)
    }

    @Test func parseRFC3339DoesNoRangeCheck() {
        #expect(TimestampParser.parseRFC3339("1969-07-20T20:17:40Z")
            == UTCInstant(microsecondsSinceEpoch: -14_182_940 * 1_000_000))
        #expect(TimestampParser.parseRFC3339("0000-01-01T00:00:00+01:00")?.description == "-0001-12-31T23:00:00Z")
    }

    // MARK: Range

    @Test(arguments: ["2000-01-01T00:00:00Z", "1999-12-31T19:00:00-05:00", "946684800", "2100-01-01T00:00:00Z",
                      "2100-01-01T01:00:00+01:00", "4102444800", "4102444800.0000009"])
    func boundsAreInclusive(_ text: String) {
        #expect(throws: Never.self) { try TimestampParser.parse(text: text[...]) }
    }

    @Test func instantsOutsideTheRangeAreRejected() {
        #expect(throws: TimestampError.outOfRange(TimestampParser.earliest.adding(microseconds: -1_000_000))) {
            try TimestampParser.parse(text: "1999-12-31T23:59:59Z")
        }
        #expect(throws: TimestampError.outOfRange(TimestampParser.latest.adding(microseconds: 1))) {
            try TimestampParser.parse(text: "2100-01-01T00:00:00.000001Z")
        }
        #expect(throws: TimestampError.outOfRange(TimestampParser.earliest.adding(microseconds: -1))) {
            try TimestampParser.parse(.number("946684799.999999"))
        }
        #expect(throws: TimestampError.outOfRange(TimestampParser.latest.adding(microseconds: 1_000_000))) {
            try TimestampParser.parse(.string("4102444801"))
        }
    }

    @Test func boundsAreTheSpecifiedInstants() {
        #expect(TimestampParser.earliest.description == "2000-01-01T00:00:00Z")
        #expect(TimestampParser.latest.description == "2100-01-01T00:00:00Z")
    }

    // MARK: JSON kinds and messages

    @Test(arguments: [
        (JSONValue.bool(true), "true"), (.null, "null"), (.object(JSONObject([("seconds", .number("1"))])), "{...}"),
        (.array([.number("1790000000")]), "[...]"), (.number("1e"), "1e"),
    ])
    func nonTimestampJSONValuesAreUnparseable(_ value: JSONValue, _ shown: String) {
        #expect(throws: TimestampError.unparseable(shown)) { try TimestampParser.parse(value) }
    }

    @Test func messagesSayWhatIsWrong() {
        #expect(TimestampError.unparseable("yesterday").message
            == "timestamp \"yesterday\" is neither Unix seconds nor an RFC 3339 date-time with offset")
        #expect(TimestampError.outOfRange(TimestampParser.earliest.adding(microseconds: -1_000_000)).message
            == "timestamp 1999-12-31T23:59:59Z is outside 2000-01-01..2100-01-01")
    }

    // MARK: UTCInstant

    @Test func descriptionShowsSixFractionDigitsOnlyWhenThereAreSubSeconds() {
        #expect(UTCInstant(microsecondsSinceEpoch: 0).description == "1970-01-01T00:00:00Z")
        #expect(UTCInstant(microsecondsSinceEpoch: 1_500_000).description == "1970-01-01T00:00:01.500000Z")
        #expect(UTCInstant(microsecondsSinceEpoch: 1).description == "1970-01-01T00:00:00.000001Z")
        #expect(UTCInstant(microsecondsSinceEpoch: -1).description == "1969-12-31T23:59:59.999999Z")
        #expect(Self.octoberStart.description == "2026-10-01T04:00:00Z")
    }

    @Test(arguments: [
        (1969, 12, 31, 23, 59, 59, 999_999), (1969, 1, 1, 0, 0, 0, 0), (1900, 2, 28, 12, 30, 45, 1),
        (1900, 3, 1, 0, 0, 0, 0), (1600, 2, 29, 6, 7, 8, 9), (1, 1, 1, 0, 0, 0, 0), (0, 3, 1, 0, 0, 0, 0),
        (1970, 1, 1, 0, 0, 0, 0), (2028, 2, 29, 23, 59, 59, 999_999), (9999, 12, 31, 23, 59, 59, 999_999),
    ])
    func civilRoundTrips(
        _ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int, _ second: Int, _ microsecond: Int
    ) throws {
        let instant = try #require(UTCInstant(year: year, month: month, day: day, hour: hour, minute: minute,
                                              second: second, microsecond: microsecond))
        let civil = instant.civil
        #expect(civil.year == year && civil.month == month && civil.day == day)
        #expect(civil.hour == hour && civil.minute == minute && civil.second == second)
        #expect(civil.microsecond == microsecond)
        #expect(TimestampParser.parseRFC3339(instant.description[...]) == instant)
    }

    @Test func civilBeforeTheEpochCountsBackward() {
        #expect(UTCInstant(year: 1969, month: 12, day: 31, hour: 23, minute: 59, second: 59, microsecond: 999_999)
            == UTCInstant(microsecondsSinceEpoch: -1))
        #expect(UTCInstant(year: 1900, month: 1, day: 1, hour: 0, minute: 0, second: 0, microsecond: 0)
            == UTCInstant(microsecondsSinceEpoch: -2_208_988_800 * 1_000_000))
    }

    @Test func civilInitializerValidatesRanges() {
        #expect(UTCInstant(year: 1900, month: 2, day: 29, hour: 0, minute: 0, second: 0, microsecond: 0) == nil)
        #expect(UTCInstant(year: 2026, month: 6, day: 31, hour: 0, minute: 0, second: 0, microsecond: 0) == nil)
        #expect(UTCInstant(year: 2026, month: 6, day: 30, hour: 0, minute: 0, second: 0, microsecond: 1_000_000) == nil)
        #expect(UTCInstant(year: 10_000, month: 1, day: 1, hour: 0, minute: 0, second: 0, microsecond: 0) == nil)
        #expect(UTCInstant(year: 2026, month: 1, day: 1, hour: 0, minute: -1, second: 0, microsecond: 0) == nil)
    }

    @Test func codableIsTheMicrosecondCount() throws {
        let json = try JSONEncoder().encode([Self.seed])
        #expect(String(decoding: json, as: UTF8.self) == "[1790000000000000]")
        #expect(try JSONDecoder().decode([UTCInstant].self, from: json) == [Self.seed])
    }
}

extension UTCInstant {
    fileprivate func adding(microseconds: Int64) -> UTCInstant {
        UTCInstant(microsecondsSinceEpoch: microsecondsSinceEpoch + microseconds)
    }
}
