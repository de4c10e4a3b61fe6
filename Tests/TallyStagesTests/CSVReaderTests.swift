import Foundation
import Testing
import TallyCore
import TallyStages

/// docs/BILLING.md, event exports: CSV exports are RFC 4180 with a header row; every column but the four
/// event fields is a property (`properties.` dropped from its name); an empty cell is an absent
/// property.
@Suite struct CSVReaderTests {
    static let header = TestCatalog.csvHeader
    static let header8 = TestCatalog.csvHeader + ",note"

    @Test func quotedFieldsKeepCommasLineBreaksAndDoubledQuotes() throws {
        let db = try TestDatabase.withStandardCatalog()
        let path = try db.write("quoted.csv", #"""
            \#(Self.header8)
            comma,sub-a,ai_tokens,2026-10-01T04:00:00Z,1,mistral-small,input,"batch 12, region us-east"
            multi,sub-a,ai_tokens,2026-10-01T04:00:00Z,2,mistral-small,input,"first line
            second line"
            quotes,sub-a,ai_tokens,2026-10-01T04:00:00Z,3,mistral-small,input,"the client said ""ship it"""
            "all","sub-a","ai_tokens","2026-10-01T04:00:00Z","4","mistral-small","input","every field quoted"

            """#)
        expectCounts(try db.ingest(path), read: 4, accepted: 4)
        #expect(try db.stored("properties->>'note'", of: "comma") == "batch 12, region us-east")
        #expect(try db.stored("properties->>'note'", of: "multi") == "first line\nsecond line")
        #expect(try db.stored("properties->>'note'", of: "quotes") == #"the client said "ship it""#)
        #expect(try db.stored("properties->>'note'", of: "all") == "every field quoted")
        #expect(try db.stored("units::text", of: "all") == "4")
    }

    @Test func aRecordSpanningLinesIsOneEventNumberedWhereItStarts() throws {
        let db = try TestDatabase.withStandardCatalog()
        let path = try db.write("spanning.csv", """
            \(Self.header8)
            span,sub-a,ai_tokens,2026-10-01T04:00:00Z,1,mistral-small,input,"one
            two
            three"
            next,sub-a,ai_tokens,2026-10-01T04:00:00Z,1,mistral-small,input,
            bad,sub-a,ai_tokens,2026-10-01T04:00:00Z,1,mistral-small,inputs,"x
            y"

            """)
        expectCounts(try db.ingest(path), read: 3, accepted: 2, rejected: [.invalidFilterValue: 1])
        #expect(try db.stored("source_line::text", of: "span") == "2")
        #expect(try db.stored("source_line::text", of: "next") == "5")
        try db.expectRejects(of: path, [(6, .invalidFilterValue)])
        #expect(try db.rejects(for: path).first?.raw == "bad,sub-a,ai_tokens,2026-10-01T04:00:00Z,1,mistral-small,inputs,\"x\ny\"")
    }

    @Test func aByteOrderMarkAndCRLFLineEndingsAreNotPartOfTheData() throws {
        let db = try TestDatabase.withStandardCatalog()
        let rows = [
            Self.header8,
            "bom,sub-a,ai_tokens,2026-10-01T04:00:00Z,1,mistral-small,input,",
            "crlf,sub-a,ai_tokens,2026-10-01T04:00:00Z,2,mistral-small,output,\"a\r\nb\"",
            "last,sub-a,ai_tokens,2026-10-01T04:00:00Z,3,mistral-large,input,end",
            "bad,sub-a,ai_tokens,2026-10-01T04:00:00Z,3,mistral-large,input,end,extra",
        ]
        let path = try db.write("crlf.csv", [0xEF, 0xBB, 0xBF] + Array((rows.joined(separator: "\r\n") + "\r\n").utf8))
        // The quoted CRLF inside row 3 makes "last" start on line 5.
        expectCounts(try db.ingest(path), read: 4, accepted: 3, rejected: [.malformed: 1])
        #expect(try db.stored("properties->>'type'", of: "crlf") == "output", "no \\r is left on the last cell")
        #expect(try db.stored("properties->>'note'", of: "crlf") == "a\r\nb", "a quoted line break is kept as written")
        #expect(try db.stored("properties->>'note'", of: "last") == "end")
        #expect(try db.stored("source_line::text", of: "last") == "5")
        try db.expectRejects(of: path, [(6, .malformed)])
        #expect(try db.rejects(for: path).first?.raw == rows[4])
    }

    @Test func propertiesPrefixIsDroppedFromColumnNames() throws {
        let db = try TestDatabase.withStandardCatalog()
        let path = try db.write("prefixed.csv", """
            timestamp,properties.tokens,code,properties.model,transaction_id,external_subscription_id,properties.region
            2026-10-01T04:00:00Z,12,ai_tokens,mistral-medium,p1,sub-a,eu-west
            2026-10-01T04:00:00Z,12,ai_tokens,mistral-xl,p2,sub-a,eu-west

            """)
        expectCounts(try db.ingest(path), read: 2, accepted: 1, rejected: [.invalidFilterValue: 1])
        #expect(try db.stored("units::text", of: "p1") == "12")
        #expect(try db.stored("properties->>'model'", of: "p1") == "mistral-medium")
        #expect(try db.stored("properties->>'region'", of: "p1") == "eu-west")
        #expect(try db.stored("properties ? 'properties.region'", of: "p1") == "f")
    }

    @Test func anEmptyCellIsAnAbsentProperty() throws {
        let db = try TestDatabase.withStandardCatalog()
        let path = try db.write("empty-cells.csv", """
            \(Self.header8)
            e1,sub-a,ai_tokens,2026-10-01T04:00:00Z,5,,,
            e2,sub-a,ai_tokens,2026-10-01T04:00:00Z,,mistral-small,input,

            """)
        expectCounts(try db.ingest(path), read: 2, accepted: 1, rejected: [.missingAggregationProperty: 1])
        #expect(try db.stored("properties ? 'model'", of: "e1") == "f")
        #expect(try db.stored("properties ? 'note'", of: "e1") == "f")
        #expect(try db.stored("properties ? 'tokens'", of: "e1") == "t")
        try db.expectRejects(of: path, [(3, .missingAggregationProperty)])
    }

    @Test func spacesInUnquotedFieldsAreKept() throws {
        let db = try TestDatabase.withStandardCatalog()
        // Written line by line so that no editor trims the trailing blanks.
        let path = try db.write("spaces.csv", [
            Self.header8,
            "s1,sub-a,ai_tokens,2026-10-01T04:00:00Z,1, mistral-small,input,",
            "s2 ,sub-a,ai_tokens,2026-10-01T04:00:00Z,1,mistral-small,input,  two spaces around  ",
        ].joined(separator: "\n") + "\n")
        expectCounts(try db.ingest(path), read: 2, accepted: 1, rejected: [.invalidFilterValue: 1])
        try db.expectRejects(of: path, [(2, .invalidFilterValue)])
        #expect(try db.stored("properties->>'note'", of: "s2 ") == "  two spaces around  ")
        #expect(try db.stored("transaction_id", of: "s2") == nil, "the transaction id keeps its trailing space")
    }

    @Test func rowsWithTheWrongNumberOfFieldsAreMalformed() throws {
        let db = try TestDatabase.withStandardCatalog()
        let path = try db.write("fields.csv", """
            \(Self.header)
            few,sub-a,ai_tokens,2026-10-01T04:00:00Z,1,mistral-small
            many,sub-a,ai_tokens,2026-10-01T04:00:00Z,1,mistral-small,input,extra
            ok,sub-a,ai_tokens,2026-10-01T04:00:00Z,1,mistral-small,input
            quote,sub-a,ai_tokens,2026-10-01T04:00:00Z,1,mistral "small",input
            after,sub-a,ai_tokens,2026-10-01T04:00:00Z,1,"mistral-small"x,input

            """)
        expectCounts(try db.ingest(path), read: 5, accepted: 1, rejected: [.malformed: 4])
        try db.expectRejects(of: path, [(2, .malformed), (3, .malformed), (5, .malformed), (6, .malformed)])
        #expect(try db.count("events") == 1)
    }

    @Test func anUnterminatedQuoteAtTheEndIsMalformed() throws {
        let db = try TestDatabase.withStandardCatalog()
        let path = try db.write("unterminated.csv", """
            \(Self.header8)
            ok,sub-a,ai_tokens,2026-10-01T04:00:00Z,1,mistral-small,input,fine
            open,sub-a,ai_tokens,2026-10-01T04:00:00Z,1,mistral-small,input,"never closed

            """)
        expectCounts(try db.ingest(path), read: 2, accepted: 1, rejected: [.malformed: 1])
        try db.expectRejects(of: path, [(3, .malformed)])
        #expect(try db.stored("units::text", of: "open") == nil)
    }

    @Test func aHeaderWithoutTimestampFailsTheWholeFile() throws {
        let db = try TestDatabase.withStandardCatalog()
        let good = try db.write("good.csv", "\(Self.header)\ng1,sub-a,ai_tokens,2026-10-01T04:00:00Z,1,mistral-small,input\n")
        let bad = try db.write("no-timestamp.csv", """
            transaction_id,external_subscription_id,code,tokens
            h1,sub-a,ai_tokens,1

            """)
        let summary = try db.ingest([bad, good])
        try #require(summary.files.count == 2)
        let failure = try #require(summary.files[0].failure)
        #expect(failure.contains("timestamp"), "the failure says what is missing: \(failure)")
        #expect(summary.files[0].accepted == 0)
        expectCounts(summary.files[1], read: 1, accepted: 1)
        #expect(summary.failedFiles.count == 1)
        #expect(try db.scalar("SELECT count(*) FROM events WHERE transaction_id = 'h1'") == "0")
        #expect(try db.scalar("SELECT count(*) FROM ingests WHERE source = $1", [bad]) == "0")
        #expect(try db.count("ingests") == 1)
        #expect(!FileManager.default.fileExists(atPath: db.rejectsPath(for: bad)))
        expectCounts(summary.total, read: 1, accepted: 1)
    }

    @Test func theLastLineNeedsNoNewline() throws {
        let db = try TestDatabase.withStandardCatalog()
        let path = try db.write("no-newline.csv",
                                "\(Self.header)\nl1,sub-a,ai_tokens,2026-10-01T04:00:00Z,1,mistral-small,input\nl2,sub-a,ai_tokens,2026-10-01T04:00:00Z,2,mistral-small,input")
        expectCounts(try db.ingest(path), read: 2, accepted: 2)
        #expect(try db.stored("properties->>'type'", of: "l2") == "input")
        #expect(try db.stored("source_line::text", of: "l2") == "3")
    }

    @Test func blankLinesAreNotRecords() throws {
        let db = try TestDatabase.withStandardCatalog()
        let path = try db.write("blank.csv", "\(Self.header)\n\nb1,sub-a,ai_tokens,2026-10-01T04:00:00Z,1,mistral-small,input\n\n\n")
        expectCounts(try db.ingest(path), read: 1, accepted: 1)
        #expect(try db.stored("source_line::text", of: "b1") == "3")
    }

    @Test func aNulByteOrInvalidUTF8IsMalformed() throws {
        let db = try TestDatabase.withStandardCatalog()
        let ok = Array("ok,sub-a,ai_tokens,2026-10-01T04:00:00Z,1,mistral-small,input,fine\n".utf8)
        let nul = Array("nul,sub-a,ai_tokens,2026-10-01T04:00:00Z,1,mistral-small,input,a".utf8) + [0x00] + Array("b\n".utf8)
        let latin1 = Array("latin1,sub-a,ai_tokens,2026-10-01T04:00:00Z,1,mistral-small,input,caf".utf8) + [0xE9, 0x0A]
        let path = try db.write("bytes.csv", Array((Self.header8 + "\n").utf8) + ok + nul + latin1)
        expectCounts(try db.ingest(path), read: 3, accepted: 1, rejected: [.malformed: 2])
        try db.expectRejects(of: path, [(3, .malformed), (4, .malformed)])
        #expect(try db.count("events") == 1)
        // Each reject keeps its line byte for byte: as text when it is UTF-8, else in base64.
        let rejects = try db.rejects(for: path)
        #expect(rejects.first?.raw.map { Array($0.utf8) } == Array(nul.dropLast()))
        #expect(rejects.last?.raw == nil)
        #expect(rejects.last?.rawBase64.flatMap { Data(base64Encoded: $0) }.map(Array.init) == Array(latin1.dropLast()))
    }

    @Test func aGzippedCSVIsReadAsItsContent() throws {
        let db = try TestDatabase.withStandardCatalog()
        let path = try db.writeGzip("events.csv.gz", """
            \(Self.header8)
            z1,sub-a,ai_tokens,2026-10-01T04:00:00Z,10,mistral-small,input,"gz, quoted"
            z2,sub-a,ai_tokens,2026-10-01T04:00:00Z,abc,mistral-small,input,

            """)
        let file = try db.ingest(path)
        expectCounts(file, read: 2, accepted: 1, rejected: [.invalidAggregationProperty: 1])
        #expect(file.format == .csv)
        #expect(try db.stored("properties->>'note'", of: "z1") == "gz, quoted")
        try db.expectRejects(of: path, [(3, .invalidAggregationProperty)])
        #expect(try db.rejects(for: path).first?.raw == "z2,sub-a,ai_tokens,2026-10-01T04:00:00Z,abc,mistral-small,input,")
        #expect(db.rejectsPath(for: path).hasPrefix("\(db.outDirectory)/rejects/events.csv.gz."))
        #expect(FileManager.default.fileExists(atPath: db.rejectsPath(for: path)))
    }
}
