import Foundation
import Testing
import TallyCore
import TallyStages

/// docs/BILLING.md, validation and reject reasons: an event is identified by (external_subscription_id,
/// transaction_id); an exact repeat — equal in meaning, whatever the format — is a duplicate, a
/// different one a `duplicate_conflict`; the first occurrence wins, in the order files are given and
/// lines are read.
@Suite struct DeduplicationTests {
    static func line(_ transactionId: String, subscription: String = "sub-a", timestamp: String = "1790827200",
                     properties: String = #"{"tokens": 100, "model": "mistral-small", "type": "input"}"#) -> String {
        #"{"transaction_id": "\#(transactionId)", "external_subscription_id": "\#(subscription)", "code": "ai_tokens", "timestamp": \#(timestamp), "properties": \#(properties)}"#
    }

    @Test func feedingTheSameFileTwiceAddsNothing() throws {
        let db = try TestDatabase.withStandardCatalog()
        let path = try db.write("events.ndjson", [Self.line("a"), Self.line("b"), Self.line("c")].joined(separator: "\n") + "\n")
        expectCounts(try db.ingest(path), read: 3, accepted: 3)
        expectCounts(try db.ingest(path), read: 3, accepted: 0, duplicates: 3)
        #expect(try db.count("events") == 3)
        #expect(try db.rows("SELECT accepted, duplicates FROM ingests ORDER BY id") == [["3", "0"], ["0", "3"]])
    }

    @Test func aCSVRowAndAnNDJSONLineWithTheSameMeaningAreDuplicates() throws {
        let db = try TestDatabase.withStandardCatalog()
        // 2026-10-01T04:00:00Z is Unix 1790827200; 100 tokens equal "100.0".
        #expect(utcSeconds(2026, 10, 1, 4) == 1_790_827_200)
        let csv = try db.write("events.csv", """
            \(TestCatalog.csvHeader)
            x1,sub-a,ai_tokens,2026-10-01T04:00:00Z,100,mistral-small,input
            x2,sub-a,ai_tokens,2026-10-01T00:00:00-04:00,7,,

            """)
        let ndjson = try db.write("events.ndjson", [
            Self.line("x1", timestamp: "1790827200", properties: #"{"type": "input", "tokens": "100.0", "model": "mistral-small"}"#),
            // An empty CSV cell and a null property both mean "absent".
            Self.line("x2", timestamp: #""2026-10-01T04:00:00.000Z""#, properties: #"{"tokens": 7.00, "model": null}"#),
        ].joined(separator: "\n") + "\n")
        let summary = try db.ingest([csv, ndjson])
        try #require(summary.files.count == 2)
        expectCounts(summary.files[0], read: 2, accepted: 2)
        expectCounts(summary.files[1], read: 2, accepted: 0, duplicates: 2)
        #expect(try db.count("events") == 2)
        #expect(try db.scalar("SELECT string_agg(source_line::text, ',' ORDER BY transaction_id) FROM events") == "2,3",
                "the CSV rows, read first, are the ones stored")
    }

    @Test func numbersEqualToTheirDecimalStringsAreOneValue() throws {
        let db = try TestDatabase.withStandardCatalog()
        let path = try db.write("events.ndjson", [
            Self.line("n", properties: #"{"tokens": 100, "model": "mistral-small", "type": "input", "batch": 7}"#),
            Self.line("n", properties: #"{"tokens": "100", "model": "mistral-small", "type": "input", "batch": "7.0"}"#),
            Self.line("n", timestamp: "1790827200.000", properties: #"{"tokens": 1e2, "model": "mistral-small", "type": "input", "batch": 7}"#),
        ].joined(separator: "\n") + "\n")
        expectCounts(try db.ingest(path), read: 3, accepted: 1, duplicates: 2)
    }

    @Test func aConflictInsideOneFileKeepsTheFirst() throws {
        let db = try TestDatabase.withStandardCatalog()
        let lines = [
            Self.line("k", properties: #"{"tokens": 100, "model": "mistral-small", "type": "input"}"#),
            Self.line("other"),
            Self.line("k", properties: #"{"tokens": 101, "model": "mistral-small", "type": "input"}"#),
            Self.line("k", properties: #"{"tokens": 100, "model": "mistral-small", "type": "input"}"#),
            Self.line("k", timestamp: "1790827201"),
            // Equal to line 3, but line 1 came first: still a conflict.
            Self.line("k", properties: #"{"tokens": 101, "model": "mistral-small", "type": "input"}"#),
        ]
        let path = try db.write("events.ndjson", lines.joined(separator: "\n") + "\n")
        expectCounts(try db.ingest(path), read: 6, accepted: 2, duplicates: 1, rejected: [.duplicateConflict: 3])
        try db.expectRejects(of: path, [(3, .duplicateConflict), (5, .duplicateConflict), (6, .duplicateConflict)])
        for reject in try db.rejects(for: path) {
            #expect(reject.raw == lines[reject.line - 1])
        }
        #expect(try db.stored("units::text", of: "k") == "100")
        #expect(try db.stored("source_line::text", of: "k") == "1")
    }

    @Test func aConflictWithAnEventStoredByAnEarlierIngestIsRejected() throws {
        let db = try TestDatabase.withStandardCatalog()
        let first = try db.write("first.ndjson", Self.line("s", properties: #"{"tokens": 100, "note": "original"}"#) + "\n")
        expectCounts(try db.ingest(first), read: 1, accepted: 1)
        let second = try db.write("second.ndjson", [
            Self.line("s", properties: #"{"tokens": 100, "note": "corrected"}"#),
            Self.line("s", properties: #"{"tokens": 100, "note": "original"}"#),
        ].joined(separator: "\n") + "\n")
        expectCounts(try db.ingest(second), read: 2, accepted: 0, duplicates: 1, rejected: [.duplicateConflict: 1])
        try db.expectRejects(of: second, [(1, .duplicateConflict)])
        let message = try #require(try db.rejects(for: second).first?.message)
        #expect(message.contains("first.ndjson"), "the conflict names where the stored event came from: \(message)")
        #expect(try db.count("events") == 1)
        #expect(try db.stored("properties->>'note'", of: "s") == "original")
    }

    @Test func theFirstFileGivenWins() throws {
        let db = try TestDatabase.withStandardCatalog()
        let a = try db.write("a.ndjson", Self.line("w", properties: #"{"tokens": 1}"#) + "\n")
        let b = try db.write("b.ndjson", Self.line("w", properties: #"{"tokens": 2}"#) + "\n")
        let summary = try db.ingest([b, a])
        try #require(summary.files.count == 2)
        expectCounts(summary.files[0], read: 1, accepted: 1)
        expectCounts(summary.files[1], read: 1, accepted: 0, rejected: [.duplicateConflict: 1])
        #expect(try db.stored("units::text", of: "w") == "2")
    }

    @Test func theSameTransactionIdOnTwoSubscriptionsIsTwoEvents() throws {
        let db = try TestDatabase.withStandardCatalog()
        let path = try db.write("events.ndjson", [
            Self.line("shared", subscription: "sub-a"),
            Self.line("shared", subscription: "sub-b", properties: #"{"tokens": 5}"#),
        ].joined(separator: "\n") + "\n")
        expectCounts(try db.ingest(path), read: 2, accepted: 2)
        #expect(try db.count("events") == 2)
        #expect(try db.stored("units::text", of: "shared", subscription: "sub-a") == "100")
        #expect(try db.stored("units::text", of: "shared", subscription: "sub-b") == "5")
    }

    /// An NDJSON file without lines, or a CSV file with its header alone, holds no event; a CSV
    /// file without even a header is no export (`OversizedRecordTests.anEmptyCSVFileIsNotAnExport`).
    @Test func emptyExportsReadNothingAndSucceed() throws {
        let db = try TestDatabase.withStandardCatalog()
        let paths = [
            try db.write("empty.ndjson", ""),
            try db.write("header-only.csv", TestCatalog.csvHeader + "\n"),
            try db.write("header-only-no-newline.csv", TestCatalog.csvHeader),
        ]
        let summary = try db.ingest(paths)
        try #require(summary.files.count == paths.count)
        for file in summary.files {
            expectCounts(file, read: 0, accepted: 0)
            #expect(file.rejectsFile == nil)
        }
        #expect(try db.count("events") == 0)
        #expect(try db.scalar("SELECT count(*) FROM ingests WHERE read = 0 AND accepted = 0") == String(paths.count))
        expectCounts(summary.total, read: 0, accepted: 0)
    }
}

/// An event's properties are stored as the export sent them; duplicates are still told by meaning.
@Suite struct SentPropertiesTests {
    @Test func propertiesAreStoredAsSentAndComparedByMeaning() throws {
        let db = try TestDatabase.withStandardCatalog()
        let first = try db.write("first.ndjson", #"{"transaction_id": "p1", "external_subscription_id": "sub-a", "code": "ai_tokens", "timestamp": "2026-10-15T12:00:00Z", "properties": {"tokens": "1.50", "note": "007", "depth": 2.50, "flag": true}}"# + "\n")
        expectCounts(try db.ingest(first), read: 1, accepted: 1)
        #expect(try db.stored("properties->>'note'", of: "p1") == "007")
        #expect(try db.stored("properties->>'tokens'", of: "p1") == "1.50")
        #expect(try db.stored("properties->'depth'", of: "p1") == "2.50")
        #expect(try db.stored("units::text", of: "p1") == "1.5")
        // The same meaning in other words, from a CSV: a duplicate, and the stored text stays.
        let second = try db.write("second.csv", """
            transaction_id,external_subscription_id,code,timestamp,tokens,note,depth,flag
            p1,sub-a,ai_tokens,2026-10-15T12:00:00Z,1.5,7,2.5,true

            """)
        expectCounts(try db.ingest(second), read: 1, accepted: 0, duplicates: 1)
        #expect(try db.stored("properties->>'note'", of: "p1") == "007")
        // Another meaning: a conflict.
        let third = try db.write("third.csv", """
            transaction_id,external_subscription_id,code,timestamp,tokens,note
            p1,sub-a,ai_tokens,2026-10-15T12:00:00Z,1.5,8

            """)
        expectCounts(try db.ingest(third), read: 1, accepted: 0, rejected: [.duplicateConflict: 1])
    }
}
