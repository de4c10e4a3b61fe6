import Foundation
import Testing
import TallyCore
import TallyStages

/// Every reject reason of docs/BILLING.md, validation and reject reasons, one bad line each, in both
/// export formats: the reason, the line number and the raw line, byte for byte, in
/// `<out>/rejects/<export>.<ingest id>.rejects.ndjson`.
@Suite struct RejectReasonTests {
    /// An NDJSON line of the standard catalog; by default `sub-a` at 2026-09-21T14:13:20Z, 10 small input
    /// tokens. `timestamp` and `properties` are JSON text.
    static func event(_ transactionId: String, subscription: String = "sub-a", code: String = "ai_tokens",
                      timestamp: String = "1790000000", properties: String = #"{"tokens": 10, "model": "mistral-small", "type": "input"}"#) -> String {
        #"{"transaction_id": "\#(transactionId)", "external_subscription_id": "\#(subscription)", "code": "\#(code)", "timestamp": \#(timestamp), "properties": \#(properties)}"#
    }

    @Test func everyReasonInNDJSON() throws {
        let db = try TestDatabase.withStandardCatalog()
        let lines: [(text: String, reason: RejectReason?)] = [
            (Self.event("t1"), nil),
            (#"{"transaction_id": "t2", "external_subscription_id": "sub-a", "code": "ai_tokens", "timestamp": 1790000000"#, .malformed),
            (#"{"external_subscription_id": "sub-a", "code": "ai_tokens", "timestamp": 1790000000, "properties": {"tokens": 10}}"#, .missingField),
            (Self.event("t4", timestamp: #""21/09/2026 14:13""#), .invalidTimestamp),
            (Self.event("t5", code: "gpu_seconds"), .unknownMetric),
            (Self.event("t6", subscription: "sub-zzz"), .unknownSubscription),
            (Self.event("t7", properties: #"{"model": "mistral-small", "type": "input"}"#), .missingAggregationProperty),
            (Self.event("t8", properties: #"{"tokens": "12abc", "model": "mistral-small"}"#), .invalidAggregationProperty),
            // Trailing blanks and non-ASCII text must survive in `raw`.
            (Self.event("t9", properties: #"{"tokens": 10, "model": "Mistral-Small", "note": "café \u00e9 ☕"}"#) + " \t ", .invalidFilterValue),
            // sub-window runs from 2026-10-15T00:00:00Z to 2026-10-20T00:00:00Z.
            (Self.event("t10", subscription: "sub-window", timestamp: #""2026-10-14T23:59:59Z""#), .outsideSubscription),
            (Self.event("t11", subscription: "sub-window", timestamp: #""2026-10-20T00:00:01Z""#), .outsideSubscription),
            (Self.event("t1", properties: #"{"tokens": 11, "model": "mistral-small", "type": "input"}"#), .duplicateConflict),
        ]
        let path = try db.write("events.ndjson", lines.map(\.text).joined(separator: "\n") + "\n")
        let file = try db.ingest(path)

        var expectedReasons: [RejectReason: Int] = [:]
        for line in lines { if let reason = line.reason { expectedReasons[reason, default: 0] += 1 } }
        expectCounts(file, read: lines.count, accepted: 1, rejected: expectedReasons)
        #expect(expectedReasons.count == RejectReason.allCases.count, "the test covers every reason")
        let expected = lines.enumerated().compactMap { index, line in line.reason.map { (line: index + 1, reason: $0) } }
        try db.expectRejects(of: path, expected)
        for reject in try db.rejects(for: path) {
            #expect(Array((reject.raw ?? "").utf8) == Array(lines[reject.line - 1].text.utf8), "raw of line \(reject.line)")
        }
        #expect(try db.count("events") == 1)
        #expect(try db.stored("units::text", of: "t1") == "10", "the first t1 is the one stored")
    }

    @Test func everyReasonInCSV() throws {
        let db = try TestDatabase.withStandardCatalog()
        let rows: [(text: String, reason: RejectReason?)] = [
            ("c1,sub-a,ai_tokens,2026-10-01T04:00:00Z,10,mistral-small,input", nil),
            ("c2,sub-a,ai_tokens,2026-10-01T04:00:00Z,10,mistral-small", .malformed),
            (",sub-a,ai_tokens,2026-10-01T04:00:00Z,10,mistral-small,input", .missingField),
            ("c4,sub-a,ai_tokens,01/10/2026 04:00,10,mistral-small,input", .invalidTimestamp),
            ("c5,sub-a,gpu_seconds,2026-10-01T04:00:00Z,10,mistral-small,input", .unknownMetric),
            ("c6,sub-zzz,ai_tokens,2026-10-01T04:00:00Z,10,mistral-small,input", .unknownSubscription),
            ("c7,sub-a,ai_tokens,2026-10-01T04:00:00Z,,mistral-small,input", .missingAggregationProperty),
            ("c8,sub-a,ai_tokens,2026-10-01T04:00:00Z,12abc,mistral-small,input", .invalidAggregationProperty),
            ("c9,sub-a,ai_tokens,2026-10-01T04:00:00Z,10,mistral-café,input", .invalidFilterValue),
            ("c10,sub-window,ai_tokens,2026-10-14T23:59:59Z,10,mistral-small,input", .outsideSubscription),
            ("c11,sub-window,ai_tokens,2026-10-20T00:00:01Z,10,mistral-small,input", .outsideSubscription),
            ("c1,sub-a,ai_tokens,2026-10-01T04:00:00Z,11,mistral-small,input", .duplicateConflict),
        ]
        let path = try db.write("events.csv", ([TestCatalog.csvHeader] + rows.map(\.text)).joined(separator: "\n") + "\n")
        let file = try db.ingest(path)

        var expectedReasons: [RejectReason: Int] = [:]
        for row in rows { if let reason = row.reason { expectedReasons[reason, default: 0] += 1 } }
        expectCounts(file, read: rows.count, accepted: 1, rejected: expectedReasons)
        #expect(expectedReasons.count == RejectReason.allCases.count, "the test covers every reason")
        // The header is line 1: row i is on line i + 2.
        let expected = rows.enumerated().compactMap { index, row in row.reason.map { (line: index + 2, reason: $0) } }
        try db.expectRejects(of: path, expected)
        for reject in try db.rejects(for: path) {
            #expect(Array((reject.raw ?? "").utf8) == Array(rows[reject.line - 2].text.utf8), "raw of line \(reject.line)")
        }
        #expect(try db.count("events") == 1)
        #expect(try db.stored("units::text", of: "c1") == "10")
    }

    @Test func eachRequiredFieldAbsentEmptyOrNullIsMissing() throws {
        let db = try TestDatabase.withStandardCatalog()
        let properties = #""properties": {"tokens": 10}"#
        let lines = [
            #"{"external_subscription_id": "sub-a", "code": "ai_tokens", "timestamp": 1790000000, \#(properties)}"#,
            #"{"transaction_id": "", "external_subscription_id": "sub-a", "code": "ai_tokens", "timestamp": 1790000000, \#(properties)}"#,
            #"{"transaction_id": "m3", "code": "ai_tokens", "timestamp": 1790000000, \#(properties)}"#,
            #"{"transaction_id": "m4", "external_subscription_id": null, "code": "ai_tokens", "timestamp": 1790000000, \#(properties)}"#,
            #"{"transaction_id": "m5", "external_subscription_id": "sub-a", "timestamp": 1790000000, \#(properties)}"#,
            #"{"transaction_id": "m6", "external_subscription_id": "sub-a", "code": "", "timestamp": 1790000000, \#(properties)}"#,
            #"{"transaction_id": "m7", "external_subscription_id": "sub-a", "code": "ai_tokens", \#(properties)}"#,
            #"{"transaction_id": "m8", "external_subscription_id": "sub-a", "code": "ai_tokens", "timestamp": "", \#(properties)}"#,
            #"{"transaction_id": "m9", "external_subscription_id": "sub-a", "code": "ai_tokens", "timestamp": null, \#(properties)}"#,
        ]
        let path = try db.write("missing.ndjson", lines.joined(separator: "\n") + "\n")
        let file = try db.ingest(path)
        expectCounts(file, read: lines.count, accepted: 0, rejected: [.missingField: lines.count])
        try db.expectRejects(of: path, lines.indices.map { (line: $0 + 1, reason: .missingField) })
        #expect(try db.count("events") == 0)
    }

    @Test func aFixedRejectCanBeFedAgainFromItsRawText() throws {
        let db = try TestDatabase.withStandardCatalog()
        let bad = Self.event("f1", properties: #"{"tokens": 10, "model": "mistral-smal"}"#)
        let path = try db.write("first.ndjson", bad + "\n")
        expectCounts(try db.ingest(path), read: 1, accepted: 0, rejected: [.invalidFilterValue: 1])
        let reject = try #require(try db.rejects(for: path).first)
        let fixed = try #require(reject.raw).replacingOccurrences(of: "mistral-smal\"", with: "mistral-small\"")
        let fixedPath = try db.write("fixed.ndjson", fixed + "\n")
        expectCounts(try db.ingest(fixedPath), read: 1, accepted: 1)
        #expect(try db.stored("properties->>'model'", of: "f1") == "mistral-small")
    }

    @Test func aRerunWithoutRejectsRemovesTheStaleRejectsFile() throws {
        let db = try TestDatabase.withStandardCatalog()
        let path = try db.write("events.ndjson", Self.event("s1", subscription: "nobody") + "\n")
        expectCounts(try db.ingest(path), read: 1, accepted: 0, rejected: [.unknownSubscription: 1])
        #expect(FileManager.default.fileExists(atPath: db.rejectsPath(for: path)))
        try db.write("events.ndjson", Self.event("s1") + "\n")
        expectCounts(try db.ingest(path), read: 1, accepted: 1)
        #expect(!FileManager.default.fileExists(atPath: db.rejectsPath(for: path)))
    }

    @Test func subscriptionBoundsAreInclusive() throws {
        let db = try TestDatabase.withStandardCatalog()
        // sub-window runs from 2026-10-15T00:00:00Z to 2026-10-20T00:00:00Z.
        let lines = [
            Self.event("at-start", subscription: "sub-window", timestamp: #""2026-10-15T00:00:00Z""#),
            Self.event("at-end", subscription: "sub-window", timestamp: #""2026-10-20T00:00:00Z""#),
            Self.event("just-before", subscription: "sub-window", timestamp: #""2026-10-14T23:59:59.999999Z""#),
            Self.event("just-after", subscription: "sub-window", timestamp: #""2026-10-20T00:00:00.000001Z""#),
            Self.event("local-start", subscription: "sub-window", timestamp: #""2026-10-14T20:00:00-04:00""#),
        ]
        let path = try db.write("bounds.ndjson", lines.joined(separator: "\n") + "\n")
        expectCounts(try db.ingest(path), read: 5, accepted: 3, rejected: [.outsideSubscription: 2])
        try db.expectRejects(of: path, [(3, .outsideSubscription), (4, .outsideSubscription)])
    }

    @Test func aRejectedLineDoesNotClaimItsTransactionId() throws {
        let db = try TestDatabase.withStandardCatalog()
        let lines = [
            Self.event("r", properties: #"{"tokens": 10, "model": "mistral-tiny"}"#),
            Self.event("r", properties: #"{"tokens": 12, "model": "mistral-small"}"#),
        ]
        let path = try db.write("retry.ndjson", lines.joined(separator: "\n") + "\n")
        expectCounts(try db.ingest(path), read: 2, accepted: 1, rejected: [.invalidFilterValue: 1])
        #expect(try db.stored("units::text", of: "r") == "12")
    }
}
