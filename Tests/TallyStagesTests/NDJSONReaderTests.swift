import Foundation
import Testing
import TallyCore
import TallyStages

/// docs/BILLING.md, event exports: NDJSON exports (`.ndjson`, `.jsonl`, optionally `.gz`) hold one Lago
/// event per line, bare or wrapped as `{"event": {...}}`.
@Suite struct NDJSONReaderTests {
    static func line(_ transactionId: String, properties: String = #"{"tokens": 1}"#) -> String {
        #"{"transaction_id": "\#(transactionId)", "external_subscription_id": "sub-a", "code": "ai_tokens", "timestamp": 1790000000, "properties": \#(properties)}"#
    }

    @Test func escapesAndUnicodeInPropertiesAreStoredAsTheirText() throws {
        let db = try TestDatabase.withStandardCatalog()
        let path = try db.write("unicode.ndjson", [
            Self.line("escapes", properties: #"{"tokens": 1, "note": "say \"hi\" \\ back\nslash\t\u00e9\ud83d\ude00\/"}"#),
            Self.line("raw-utf8", properties: #"{"tokens": 1, "note": "Crédits IA — 東京 😀", "région": "Île-de-France"}"#),
        ].joined(separator: "\n") + "\n")
        expectCounts(try db.ingest(path), read: 2, accepted: 2)
        let escaped = try db.stored("properties->>'note'", of: "escapes")
        #expect(escaped.map { Array($0.utf8) } == Array("say \"hi\" \\ back\nslash\té😀/".utf8))
        let raw = try db.stored("properties->>'note'", of: "raw-utf8")
        #expect(raw.map { Array($0.utf8) } == Array("Crédits IA — 東京 😀".utf8))
        #expect(try db.stored("properties->>'région'", of: "raw-utf8") == "Île-de-France")
        #expect(try db.stored("length(properties->>'note')", of: "escapes") == "25", "PostgreSQL sees single characters, not escapes")
    }

    @Test func wrappedAndBareEventsAreTheSame() throws {
        let db = try TestDatabase.withStandardCatalog()
        let bare = Self.line("w1", properties: #"{"tokens": 3, "model": "mistral-large"}"#)
        let path = try db.write("wrapped.ndjson", [
            #"{"event": \#(Self.line("w2", properties: #"{"tokens": 4, "model": "mistral-large"}"#))}"#,
            bare,
            #"{"event": \#(bare)}"#,
        ].joined(separator: "\n") + "\n")
        expectCounts(try db.ingest(path), read: 3, accepted: 2, duplicates: 1)
        #expect(try db.stored("units::text", of: "w2") == "4")
        #expect(try db.stored("properties->>'model'", of: "w2") == "mistral-large")
    }

    @Test func linesThatAreNotEventObjectsAreMalformed() throws {
        let db = try TestDatabase.withStandardCatalog()
        let lines = [
            Self.line("ok"),
            #"[{"transaction_id": "a1"}]"#,
            #""tokens: 1200""#,
            "transaction_id=7f3c, tokens=1200",
            "42",
            "null",
            #"{"transaction_id": "p1", "external_subscription_id": "sub-a", "code": "ai_tokens", "timestamp": 1790000000, "properties": {"tokens": 1}} trailing"#,
            #"{"transaction_id": "p2", "external_subscription_id": "sub-a", "code": "ai_tokens", "timestamp": 1790000000, "properties": [1]}"#,
            #"{"transaction_id": "p3", "external_subscription_id": "sub-a", "code": "ai_tokens", "timestamp": 1790000000, "properties": {"tokens": 1,}}"#,
            // Truncated: the export was cut off mid-line, with no final newline.
            #"{"transaction_id": "cut", "external_subscription_id": "sub-a", "code": "ai_tok"#,
        ]
        let path = try db.write("malformed.ndjson", lines.joined(separator: "\n"))
        expectCounts(try db.ingest(path), read: lines.count, accepted: 1, rejected: [.malformed: lines.count - 1])
        try db.expectRejects(of: path, (2...lines.count).map { (line: $0, reason: .malformed) })
        for reject in try db.rejects(for: path) {
            #expect(reject.raw == lines[reject.line - 1])
        }
    }

    @Test func blankLinesAreNotEventsButCountAsLines() throws {
        let db = try TestDatabase.withStandardCatalog()
        let path = try db.write("blank.ndjson", "\n" + Self.line("b1") + "\n\n\r\n" + Self.line("b2") + "\r\n\n")
        expectCounts(try db.ingest(path), read: 2, accepted: 2)
        #expect(try db.stored("source_line::text", of: "b1") == "2")
        #expect(try db.stored("source_line::text", of: "b2") == "5")
    }

    @Test func lastLineWithoutNewlineIsRead() throws {
        let db = try TestDatabase.withStandardCatalog()
        let path = try db.write("last.ndjson", Self.line("n1") + "\n" + Self.line("n2"))
        expectCounts(try db.ingest(path), read: 2, accepted: 2)
    }

    @Test func jsonlExtensionIsNDJSON() throws {
        let db = try TestDatabase.withStandardCatalog()
        let path = try db.write("events.jsonl", Self.line("j1") + "\n")
        let file = try db.ingest(path)
        expectCounts(file, read: 1, accepted: 1)
        #expect(file.format == .ndjson)
        #expect(try db.scalar("SELECT format FROM ingests") == "ndjson")
    }

    @Test func aGzippedNDJSONIsReadAsItsContent() throws {
        let db = try TestDatabase.withStandardCatalog()
        let lines = [Self.line("g1", properties: #"{"tokens": 7, "note": "zippé"}"#), "{not json"]
        let path = try db.writeGzip("events.ndjson.gz", lines.joined(separator: "\n") + "\n")
        let file = try db.ingest(path)
        expectCounts(file, read: 2, accepted: 1, rejected: [.malformed: 1])
        #expect(file.format == .ndjson)
        #expect(try db.stored("properties->>'note'", of: "g1") == "zippé")
        try db.expectRejects(of: path, [(2, .malformed)])
        #expect(try db.rejects(for: path).first?.raw == "{not json")
    }

    @Test func anUnknownExtensionFailsTheFile() throws {
        let db = try TestDatabase.withStandardCatalog()
        let path = try db.write("events.txt", Self.line("t1") + "\n")
        let file = try db.ingest(path)
        #expect(file.failure != nil)
        #expect(try db.count("events") == 0)
        #expect(try db.count("ingests") == 0)
    }

    /// PostgreSQL text and jsonb cannot hold U+0000, which JSON can escape. An event carrying one must
    /// be rejected on its own (every event that fails is rejected with one reason code), not
    /// take the rest of the file down with it, as the CSV reader already does for a NUL byte.
    @Test(arguments: [
        ("nul-property", #"{"tokens": 1, "note": "a\u0000b"}"#),
        (#"nul\u0000id"#, #"{"tokens": 1}"#),
        ("nul-key", #"{"tokens": 1, "k\u0000": "v"}"#),
    ])
    func aNulEscapeRejectsOnlyItsEvent(transactionId: String, properties: String) throws {
        let db = try TestDatabase.withStandardCatalog()
        let lines = [Self.line("before"), Self.line(transactionId, properties: properties), Self.line("after")]
        let path = try db.write("nul.ndjson", lines.joined(separator: "\n") + "\n")
        let file = try db.ingest(path)
        try #require(file.failure == nil, "one event's NUL fails the whole file")
        #expect(file.read == 3)
        #expect(file.accepted == 2)
        #expect(file.rejected == 1)
        #expect(try db.count("events") == 2)
        #expect(try db.rejects(for: path).map(\.line) == [2])
    }
}
