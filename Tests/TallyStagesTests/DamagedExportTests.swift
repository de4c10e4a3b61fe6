import Foundation
import Testing
import TallyCore
import TallyStages

/// A damaged export stores nothing: a gzip file cut short or followed by other data fails whole,
/// and a file that cannot be read twice (a FIFO) is refused at once instead of blocking.
@Suite struct DamagedExportTests {
    static let lines = (1...200).map { index in
        #"{"transaction_id": "t-\#(index)", "external_subscription_id": "sub-a", "code": "ai_tokens", "timestamp": "2026-10-15T12:00:00Z", "properties": {"tokens": \#(index)}}"#
    }

    /// The gzip of the standard lines, written by /bin/gzip.
    static func gzipped(_ db: TestDatabase, _ name: String) throws -> (path: String, bytes: [UInt8]) {
        let path = try db.writeGzip(name, Self.lines.joined(separator: "\n") + "\n")
        return (path, Array(try Data(contentsOf: URL(fileURLWithPath: path))))
    }

    @Test func aGzipFileCutShortStoresNothing() throws {
        let db = try TestDatabase.withStandardCatalog()
        let whole = try Self.gzipped(db, "whole.ndjson.gz").bytes
        // Cut anywhere: in the deflate data, or just before the 8-byte trailer (all data present).
        for cut in [whole.count / 2, whole.count - 8, whole.count - 1] {
            let path = try db.write("cut-\(cut).ndjson.gz", Array(whole[0..<cut]))
            let file = try db.ingest(path)
            #expect(file.failure?.contains("cut short") == true, "cut at \(cut): \(file.failure ?? "ingested")")
            #expect(file.accepted == 0)
        }
        #expect(try db.count("events") == 0)
        #expect(try db.count("ingests") == 0)
    }

    @Test func dataAfterTheLastGzipMemberFailsTheFile() throws {
        let db = try TestDatabase.withStandardCatalog()
        let whole = try Self.gzipped(db, "whole.ndjson.gz").bytes
        let path = try db.write("garbage.ndjson.gz", whole + Array("not gzip\n".utf8))
        let file = try db.ingest(path)
        #expect(file.failure?.contains("after the end of its gzip stream") == true, "\(file.failure ?? "ingested")")
        #expect(try db.count("events") == 0)
    }

    @Test func concatenatedGzipMembersAreOneExport() throws {
        let db = try TestDatabase.withStandardCatalog()
        let first = try db.writeGzip("first.ndjson.gz", Self.lines[0..<120].joined(separator: "\n") + "\n")
        let second = try db.writeGzip("second.ndjson.gz", Self.lines[120...].joined(separator: "\n") + "\n")
        let both = try Data(contentsOf: URL(fileURLWithPath: first)) + Data(contentsOf: URL(fileURLWithPath: second))
        let path = try db.write("both.ndjson.gz", Array(both))
        expectCounts(try db.ingest(path), read: 200, accepted: 200)
    }

    @Test func aFIFOIsRefusedWithoutWaitingForAWriter() throws {
        let db = try TestDatabase.withStandardCatalog()
        let path = (db.workDirectory as NSString).appendingPathComponent("pipe.ndjson")
        #expect(mkfifo(path, 0o600) == 0)
        let file = try db.ingest(path)
        #expect(file.failure?.contains("not a regular file") == true, "\(file.failure ?? "ingested")")
    }
}
