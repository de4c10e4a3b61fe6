import Foundation
import Testing
import TallyCore
import TallyStages

/// One bad record costs only itself: an over-long line, a quote never closed or a transaction id
/// too long for the events' index are rejected alone, and the lines after them are read.
@Suite struct OversizedRecordTests {
    static func line(_ id: String, tokens: Int = 1, note: String = "") -> String {
        #"{"transaction_id": "\#(id)", "external_subscription_id": "sub-a", "code": "ai_tokens", "timestamp": "2026-10-15T12:00:00Z", "properties": {"tokens": \#(tokens), "note": "\#(note)"}}"#
    }

    @Test func aLineLongerThan1MiBIsRejectedAloneWithItsStart() throws {
        let db = try TestDatabase.withStandardCatalog()
        let long = Self.line("long", note: String(repeating: "x", count: 3 << 20))
        let path = try db.write("long.ndjson", [Self.line("before"), long, Self.line("after")].joined(separator: "\n") + "\n")
        expectCounts(try db.ingest(path), read: 3, accepted: 2, rejected: [.malformed: 1])
        let reject = try #require(try db.rejects(for: path).first)
        #expect(reject.line == 2)
        #expect(reject.message.contains("longer than 1048576 bytes"))
        #expect(reject.raw.map { Array($0.utf8) } == Array(long.utf8.prefix(1 << 20)))
        #expect(try db.rows("SELECT transaction_id FROM events ORDER BY 1") == [["after"], ["before"]])
    }

    @Test func aCSVQuoteNeverClosedCostsOnlyItsLine() throws {
        let db = try TestDatabase.withStandardCatalog()
        let path = try db.write("open.csv", """
            \(TestCatalog.csvHeader),note
            a,sub-a,ai_tokens,2026-10-01T04:00:00Z,1,mistral-small,input,fine
            b,sub-a,ai_tokens,2026-10-01T04:00:00Z,2,mistral-small,input,"never closed
            c,sub-a,ai_tokens,2026-10-01T04:00:00Z,3,mistral-small,input,"closed, with a comma"
            d,sub-a,ai_tokens,2026-10-01T04:00:00Z,4,mistral-small,input,fine

            """)
        expectCounts(try db.ingest(path), read: 4, accepted: 3, rejected: [.malformed: 1])
        try db.expectRejects(of: path, [(3, .malformed)])
        #expect(try db.rejects(for: path).first?.message.contains("never closed") == true)
        #expect(try db.rows("SELECT transaction_id FROM events ORDER BY 1") == [["a"], ["c"], ["d"]])
    }

    @Test func aCSVQuoteLeftOpenForMoreThan1MiBCostsOnlyItsLine() throws {
        let db = try TestDatabase.withStandardCatalog()
        let rows = (1...40_000).map { "r\($0),sub-a,ai_tokens,2026-10-01T04:00:00Z,1,mistral-small,input,row \($0) of many" }
        let path = try db.write("open-long.csv", ([TestCatalog.csvHeader + ",note",
                                                  #"open,sub-a,ai_tokens,2026-10-01T04:00:00Z,1,mistral-small,input,"left open"#]
                                                 + rows).joined(separator: "\n") + "\n")
        expectCounts(try db.ingest(path), read: 40_001, accepted: 40_000, rejected: [.malformed: 1])
        try db.expectRejects(of: path, [(2, .malformed)])
    }

    @Test func aTransactionIdTooLongForTheIndexIsRejectedAlone() throws {
        let db = try TestDatabase.withStandardCatalog()
        // Random characters do not compress: PostgreSQL could not index 3,000 of them.
        var generator = SystemRandomNumberGenerator()
        let long = String((0..<3_000).map { _ in "abcdefghijklmnopqrstuvwxyz0123456789".randomElement(using: &generator) ?? "a" })
        let path = try db.write("ids.ndjson", [Self.line("short"), Self.line(long), Self.line("x" + String(repeating: "y", count: 999))]
            .joined(separator: "\n") + "\n")
        expectCounts(try db.ingest(path), read: 3, accepted: 2, rejected: [.malformed: 1])
        try db.expectRejects(of: path, [(2, .malformed)])
        #expect(try db.rejects(for: path).first?.message.contains("3000 bytes long: at most 1000") == true)
    }

    @Test func anEmptyCSVFileIsNotAnExport() throws {
        let db = try TestDatabase.withStandardCatalog()
        let file = try db.ingest(try db.write("empty.csv", ""))
        #expect(file.failure?.contains("is empty") == true, "\(file.failure ?? "ingested")")
        let headerOnly = try db.ingest(try db.write("header.csv", TestCatalog.csvHeader + "\n"))
        expectCounts(headerOnly, read: 0, accepted: 0)
    }
}
