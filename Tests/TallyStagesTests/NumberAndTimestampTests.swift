import Foundation
import Testing
import TallyCore
import TallyStages

/// docs/BILLING.md, event exports: numeric properties are summed exactly; timestamps are Unix seconds or
/// RFC 3339 with an offset, kept to the microsecond and stored in UTC; out of 2000-01-01..2100-01-01 is
/// rejected.
@Suite struct NumberAndTimestampTests {
    static func line(_ transactionId: String, tokens: String, timestamp: String = "1790000000") -> String {
        #"{"transaction_id": "\#(transactionId)", "external_subscription_id": "sub-a", "code": "ai_tokens", "timestamp": \#(timestamp), "properties": {"tokens": \#(tokens)}}"#
    }

    // MARK: Numbers

    @Test func tokenFormsAreStoredAsTheirExactValue() throws {
        let db = try TestDatabase.withStandardCatalog()
        let cases: [(id: String, json: String, units: String)] = [
            ("integer", "2000000", "2000000"),
            ("decimal", "1500.25", "1500.25"),
            ("decimal-string", #""1500.25""#, "1500.25"),
            ("integer-string", #""42""#, "42"),
            ("exponent", "2e6", "2000000"),
            ("exponent-negative", "25E-2", "0.25"),
            ("trailing-zeros", #""100.500""#, "100.5"),
            ("negative-string", #""-5""#, "-5"),
            ("many-digits", #""123456789012345.123456789""#, "123456789012345.123456789"),
            // Around the base-10000 groups of PostgreSQL's binary numeric, which ingest sends.
            ("zero", "0", "0"),
            ("ten-thousand", "10000", "10000"),
            ("small-fraction", "0.00012", "0.00012"),
            ("negative-fraction", #""-0.5""#, "-0.5"),
            ("twenty-seven-digits", #""999999999999999.999999999999""#, "999999999999999.999999999999"),
        ]
        let path = try db.write("numbers.ndjson", cases.map { Self.line($0.id, tokens: $0.json) }.joined(separator: "\n") + "\n")
        expectCounts(try db.ingest(path), read: cases.count, accepted: cases.count)
        for item in cases {
            // numeric equality is by value, whatever scale PostgreSQL keeps.
            let equal = try db.scalar("SELECT units = $1::numeric FROM events WHERE transaction_id = $2", [item.units, item.id])
            let stored = try db.stored("units::text", of: item.id)
            #expect(equal == "t", "units of \(item.id) are \(item.units) (stored: \(stored ?? "nothing"))")
        }
    }

    @Test func decimalsSumExactly() throws {
        let db = try TestDatabase.withStandardCatalog()
        let lines = [Self.line("a", tokens: "0.1"), Self.line("b", tokens: #""0.2""#)]
            + (0..<10).map { Self.line("c\($0)", tokens: "0.1") }
        let path = try db.write("decimals.ndjson", lines.joined(separator: "\n") + "\n")
        expectCounts(try db.ingest(path), read: 12, accepted: 12)
        #expect(try db.scalar("SELECT sum(units)::text FROM events WHERE transaction_id IN ('a', 'b')") == "0.3")
        #expect(try db.scalar("SELECT sum(units) = 1 FROM events WHERE transaction_id LIKE 'c%'") == "t")
        #expect(try db.scalar("SELECT sum(units) = 1.3 FROM events") == "t")
    }

    @Test func csvTokenCellsAreDecimalStrings() throws {
        let db = try TestDatabase.withStandardCatalog()
        let path = try db.write("numbers.csv", """
            \(TestCatalog.csvHeader)
            n1,sub-a,ai_tokens,2026-10-01T04:00:00Z,0.1,,
            n2,sub-a,ai_tokens,2026-10-01T04:00:00Z,0.2,,
            n3,sub-a,ai_tokens,2026-10-01T04:00:00Z,1e5,,
            n4,sub-a,ai_tokens,2026-10-01T04:00:00Z,1 000,,

            """)
        expectCounts(try db.ingest(path), read: 4, accepted: 2, rejected: [.invalidAggregationProperty: 2])
        try db.expectRejects(of: path, [(4, .invalidAggregationProperty), (5, .invalidAggregationProperty)])
        #expect(try db.scalar("SELECT sum(units)::text FROM events") == "0.3")
    }

    @Test func nonDecimalTokensAreInvalid() throws {
        let db = try TestDatabase.withStandardCatalog()
        let invalid = [#""12abc""#, #""1e5""#, "true", #""""#, #"" 12""#, #""+5""#, #"".5""#, #""5.""#, #""1,000""#, #"{"n": 1}"#, "[1]"]
        let lines = invalid.enumerated().map { Self.line("i\($0.offset)", tokens: $0.element) }
            + [Self.line("null", tokens: "null")]
        let path = try db.write("invalid.ndjson", lines.joined(separator: "\n") + "\n")
        expectCounts(try db.ingest(path), read: lines.count, accepted: 0,
                     rejected: [.invalidAggregationProperty: invalid.count, .missingAggregationProperty: 1])
        try db.expectRejects(of: path, invalid.indices.map { (line: $0 + 1, reason: .invalidAggregationProperty) }
            + [(line: lines.count, reason: .missingAggregationProperty)])
    }

    // MARK: Timestamps

    @Test func timestampFormsAreStoredAsTheUTCInstant() throws {
        let db = try TestDatabase.withStandardCatalog()
        let seed = utcMicroseconds(2026, 9, 21, 14, 13, 20)  // Unix 1790000000
        let cases: [(id: String, json: String, micros: Int64)] = [
            ("unix-integer", "1790000000", seed),
            ("unix-decimal", "1790000000.123456", seed + 123_456),
            ("unix-half", "1790000000.5", seed + 500_000),
            ("unix-string", #""1790000000""#, seed),
            ("unix-decimal-string", #""1790000000.25""#, seed + 250_000),
            ("unix-exponent", "1.79e9", seed),
            ("rfc3339-z", #""2026-10-01T04:00:00Z""#, utcMicroseconds(2026, 10, 1, 4)),
            ("rfc3339-negative-offset", #""2026-10-01T00:00:00-04:00""#, utcMicroseconds(2026, 10, 1, 4)),
            ("rfc3339-positive-offset", #""2026-10-01T09:30:00.25+05:30""#, utcMicroseconds(2026, 10, 1, 4, 0, 0, microsecond: 250_000)),
            ("rfc3339-day-change", #""2026-10-31T23:59:59.999999-07:00""#, utcMicroseconds(2026, 11, 1, 6, 59, 59, microsecond: 999_999)),
            ("rfc3339-lower-range", #""2000-01-01T00:00:00Z""#, utcMicroseconds(2000, 1, 1)),
            ("rfc3339-leap-day", #""2028-02-29T12:00:00+01:00""#, utcMicroseconds(2028, 2, 29, 11)),
        ]
        let path = try db.write("timestamps.ndjson", cases.map { Self.line($0.id, tokens: "1", timestamp: $0.json) }.joined(separator: "\n") + "\n")
        expectCounts(try db.ingest(path), read: cases.count, accepted: cases.count)
        for item in cases {
            #expect(try db.storedMicroseconds(of: item.id) == item.micros, "\(item.id)")
        }
    }

    @Test func csvTimestampCellsAreUnixSecondsOrRFC3339() throws {
        let db = try TestDatabase.withStandardCatalog()
        let path = try db.write("timestamps.csv", """
            \(TestCatalog.csvHeader)
            unix,sub-a,ai_tokens,1790000000,1,,
            unix-decimal,sub-a,ai_tokens,1790000000.000001,1,,
            offset,sub-a,ai_tokens,2026-10-01T06:00:00+02:00,1,,
            fraction,sub-a,ai_tokens,2026-10-01T04:00:00.5Z,1,,

            """)
        expectCounts(try db.ingest(path), read: 4, accepted: 4)
        #expect(try db.storedMicroseconds(of: "unix") == utcMicroseconds(2026, 9, 21, 14, 13, 20))
        #expect(try db.storedMicroseconds(of: "unix-decimal") == utcMicroseconds(2026, 9, 21, 14, 13, 20, microsecond: 1))
        #expect(try db.storedMicroseconds(of: "offset") == utcMicroseconds(2026, 10, 1, 4))
        #expect(try db.storedMicroseconds(of: "fraction") == utcMicroseconds(2026, 10, 1, 4, 0, 0, microsecond: 500_000))
    }

    @Test func unparseableOrOutOfRangeTimestampsAreInvalid() throws {
        let db = try TestDatabase.withStandardCatalog()
        let invalid = [
            #""1999-12-31T23:59:59Z""#,
            String(utcSeconds(1999, 12, 31, 23, 59, 59)),
            #""2100-01-01T00:00:01Z""#,
            String(utcSeconds(2100, 1, 1, 0, 0, 1)),
            "-1",
            "0",
            #""2026-10-01T04:00:00""#,  // no offset
            #""2026-02-30T00:00:00Z""#,
            #""2026-10-01""#,
            #""tomorrow""#,
            "true",
            "1e400",
        ]
        let lines = invalid.enumerated().map { Self.line("bad\($0.offset)", tokens: "1", timestamp: $0.element) }
        let path = try db.write("timestamps.ndjson", lines.joined(separator: "\n") + "\n")
        expectCounts(try db.ingest(path), read: lines.count, accepted: 0, rejected: [.invalidTimestamp: invalid.count])
        try db.expectRejects(of: path, invalid.indices.map { (line: $0 + 1, reason: .invalidTimestamp) })
    }
}
