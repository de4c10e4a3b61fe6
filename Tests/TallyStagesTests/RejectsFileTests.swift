import Foundation
import Testing
import TallyCore
import TallyStages

/// Rejects are never lost: each ingest writes its own file, on disk before the ingest commits,
/// and an output folder that cannot take it stores nothing of the export.
@Suite struct RejectsFileTests {
    static func export(_ id: String, tokens: String) -> String {
        #"{"transaction_id": "\#(id)", "external_subscription_id": "sub-a", "code": "ai_tokens", "timestamp": "2026-10-15T12:00:00Z", "properties": {"tokens": \#(tokens)}}"# + "\n"
    }

    @Test func twoExportsOfOneNameKeepTheirOwnRejects() throws {
        let db = try TestDatabase.withStandardCatalog()
        try FileManager.default.createDirectory(atPath: db.workDirectory + "/jan", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: db.workDirectory + "/feb", withIntermediateDirectories: true)
        let january = try db.write("jan/usage.ndjson", Self.export("j1", tokens: #""jan""#))
        let february = try db.write("feb/usage.ndjson", Self.export("f1", tokens: #""feb""#))
        let clean = try db.write("usage.ndjson", Self.export("c1", tokens: "1"))
        _ = try db.ingest([january, february, clean])
        let januaryRejects = try db.rejects(for: january), februaryRejects = try db.rejects(for: february)
        #expect(januaryRejects.map(\.raw) == [Self.export("j1", tokens: #""jan""#).trimmingCharacters(in: .newlines)])
        #expect(februaryRejects.map(\.raw) == [Self.export("f1", tokens: #""feb""#).trimmingCharacters(in: .newlines)])
        #expect(db.rejectsPath(for: january) != db.rejectsPath(for: february))
        let files = try FileManager.default.contentsOfDirectory(atPath: db.outDirectory + "/rejects")
        #expect(files.count == 2, "the clean export of the same name removed nothing: \(files)")
    }

    @Test func anOutputFolderThatCannotTakeTheRejectsStoresNothingOfThatExport() throws {
        let db = try TestDatabase.withStandardCatalog()
        // `rejects` is a file, so no rejects file can be created under it (whoever runs the test).
        try Data().write(to: URL(fileURLWithPath: db.outDirectory + "/rejects"))
        let bad = try db.write("bad.ndjson", Self.export("b1", tokens: #""x""#) + Self.export("b2", tokens: "2"))
        let good = try db.write("good.ndjson", Self.export("g1", tokens: "3"))
        let summary = try db.ingest([bad, good])
        #expect(summary.files[0].failure?.contains("nothing was stored") == true, "\(summary.files[0].failure ?? "ingested")")
        #expect(summary.files[0].failure?.contains("is a file, not a folder") == true)
        expectCounts(summary.files[1], read: 1, accepted: 1)
        #expect(try db.rows("SELECT transaction_id FROM events") == [["g1"]], "b2 was not stored without its file's rejects")
    }

    /// A rejects file left complete but not moved into place by a crash is finished by the next
    /// ingest when its ingest committed, and removed when it did not.
    @Test func theNextIngestFinishesWhatACrashLeft() throws {
        let db = try TestDatabase.withStandardCatalog()
        let first = try db.write("first.ndjson", Self.export("a1", tokens: #""x""#))
        _ = try db.ingest([first])
        let committed = db.rejectsPath(for: first)
        let folder = (committed as NSString).deletingLastPathComponent
        let name = (committed as NSString).lastPathComponent
        // As a crash after the commit leaves it: the temporary file, not the final one.
        try FileManager.default.moveItem(atPath: committed, toPath: folder + "/." + name + ".tmp")
        // And a temporary file of an ingest that never committed.
        try Data("{}\n".utf8).write(to: URL(fileURLWithPath: folder + "/.gone.ndjson.999999.rejects.ndjson.tmp"))
        _ = try db.ingest([try db.write("second.ndjson", Self.export("a2", tokens: "1"))])
        #expect(try db.rejects(for: first).map(\.line) == [1])
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == [name])
    }

    /// Paths are never given to a shell or into SQL text: spaces, quotes and backslashes work.
    @Test func exportAndOutputPathsWithSpacesAndQuotesWork() throws {
        let db = try TestDatabase.withStandardCatalog()
        let folder = db.workDirectory + "/Q3 'final' \\ \"exports\""
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/usage 'oct'.ndjson"
        try Data((Self.export("s1", tokens: "1") + Self.export("s2", tokens: #""bad""#)).utf8).write(to: URL(fileURLWithPath: path))
        let out = db.workDirectory + "/out 'finance' \\ \"x\""
        let file = try #require(try IngestStage(database: db.database, outDirectory: out).ingest([path]).files.first)
        expectCounts(file, read: 2, accepted: 1, rejected: [.invalidAggregationProperty: 1])
        let rejects = try #require(file.rejectsFile)
        #expect(rejects.hasPrefix(out + "/rejects/usage 'oct'.ndjson."))
        #expect(FileManager.default.fileExists(atPath: rejects))
    }
}
