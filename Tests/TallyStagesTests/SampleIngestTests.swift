import Foundation
import Testing
import TallyCore
import TallyStages

/// The Mistral sample exports against `samples/mistral/expected.json`, which the sample generator
/// wrote by construction.
@Suite struct SampleIngestTests {
    struct Counts: Decodable, Equatable {
        let read: Int
        let accepted: Int
        let duplicates: Int
        let rejected: Int
        let rejectedByReason: [String: Int]

        enum CodingKeys: String, CodingKey {
            case read, accepted, duplicates, rejected
            case rejectedByReason = "rejected_by_reason"
        }

        init(read: Int, accepted: Int, duplicates: Int, rejected: Int, rejectedByReason: [String: Int]) {
            self.read = read
            self.accepted = accepted
            self.duplicates = duplicates
            self.rejected = rejected
            self.rejectedByReason = rejectedByReason
        }

        init(_ file: IngestFileSummary) {
            self.init(
                read: file.read, accepted: file.accepted, duplicates: file.duplicates, rejected: file.rejected,
                rejectedByReason: Dictionary(uniqueKeysWithValues: file.rejectedByReason.filter { $0.value > 0 }.map { ($0.key.rawValue, $0.value) }))
        }
    }

    struct Expected: Decodable {
        let order: [String]
        let files: [String: Counts]
        let total: Counts
    }

    static func expected() throws -> Expected {
        let data = try Data(contentsOf: URL(fileURLWithPath: Repository.path("samples/mistral/expected.json")))
        return try JSONDecoder().decode(Expected.self, from: data)
    }

    static func samplePaths(_ expected: Expected) -> [String] {
        expected.order.map { Repository.path("samples/mistral/\($0)") }
    }

    /// A database with the Mistral catalog and the four samples ingested once, in expected.json's order.
    static func ingestedOnce() throws -> (TestDatabase, Expected, IngestSummary) {
        let db = try TestDatabase()
        try db.applyCatalog(file: Repository.path("pipelines/mistral/catalog.json"))
        let expected = try expected()
        let summary = try db.ingest(samplePaths(expected))
        return (db, expected, summary)
    }

    @Test func everyFileAndTheTotalMatchExpectedCounts() throws {
        let (_, expected, summary) = try Self.ingestedOnce()
        #expect(expected.order.count == 4)
        try #require(summary.files.count == expected.order.count)
        for (name, file) in zip(expected.order, summary.files) {
            #expect(file.failure == nil, "\(name) failed: \(file.failure ?? "")")
            #expect((file.path as NSString).lastPathComponent == name)
            #expect(Counts(file) == expected.files[name], "counts of \(name)")
            #expect(file.reconciles, "\(name) reconciles")
        }
        #expect(Counts(summary.total) == expected.total)
        #expect(summary.total.reconciles)
    }

    @Test func storedEventsAreTheAcceptedOnes() throws {
        let (db, expected, _) = try Self.ingestedOnce()
        #expect(try db.count("events") == expected.total.accepted)
        try Self.expectRollupsReconcile(db)
    }

    /// The hourly usage rollups hold exactly the stored events: the same units and the same count.
    static func expectRollupsReconcile(_ db: TestDatabase, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let events = try db.rows("SELECT count(*)::text, coalesce(sum(units), 0)::text FROM events")
        let rollups = try db.rows("SELECT coalesce(sum(events_count), 0)::text, coalesce(sum(units), 0)::text FROM event_rollups")
        #expect(events == rollups, "events (count, units) vs rollups", sourceLocation: sourceLocation)
    }

    @Test func eachFileHasAnIngestRowThatReconciles() throws {
        let (db, expected, _) = try Self.ingestedOnce()
        let rows = try db.rows("""
            SELECT source, read, accepted, duplicates, rejected, rejected_by_reason::text FROM ingests ORDER BY id
            """)
        #expect(rows.map { ($0[0]! as NSString).lastPathComponent } == expected.order)
        for row in rows {
            let name = (row[0]! as NSString).lastPathComponent
            let reasons = try JSONDecoder().decode([String: Int].self, from: Data(row[5]!.utf8))
            let stored = Counts(read: Int(row[1]!)!, accepted: Int(row[2]!)!, duplicates: Int(row[3]!)!, rejected: Int(row[4]!)!,
                                rejectedByReason: reasons)
            #expect(stored == expected.files[name], "ingests row of \(name)")
            #expect(stored.read == stored.accepted + stored.duplicates + stored.rejected)
        }
        // Every stored event points at the ingest row that accepted it.
        let perIngest = try db.rows("""
            SELECT i.accepted, (SELECT count(*) FROM events e WHERE e.ingest_id = i.id) FROM ingests i ORDER BY i.id
            """)
        for row in perIngest { #expect(row[0] == row[1]) }
    }

    @Test func rejectsFilesHoldEveryRejectedEvent() throws {
        let (db, expected, _) = try Self.ingestedOnce()
        for (name, path) in zip(expected.order, Self.samplePaths(expected)) {
            let counts = try #require(expected.files[name])
            let lines = try db.rejects(for: path)
            #expect(lines.count == counts.rejected, "rejects of \(name)")
            #expect(Dictionary(grouping: lines, by: \.reason).mapValues(\.count) == counts.rejectedByReason, "reasons of \(name)")
            #expect(FileManager.default.fileExists(atPath: db.rejectsPath(for: path)) == (counts.rejected > 0))
            // Each reject's raw text is the line it names, byte for byte.
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            let physicalLines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map { Array($0) }
            for reject in lines where !(reject.raw ?? "").contains("\n") {
                try #require(physicalLines.indices.contains(reject.line - 1), "\(name) has a line \(reject.line): \(reject)")
                var line = physicalLines[reject.line - 1]
                if line.last == 0x0D { line.removeLast() }
                if reject.line == 1, line.starts(with: [0xEF, 0xBB, 0xBF]) { line.removeFirst(3) }
                #expect(Array((reject.raw ?? "").utf8) == line, "\(name) line \(reject.line)")
            }
        }
    }

    @Test func ingestingTheSamplesAgainAddsNothing() throws {
        let (db, expected, _) = try Self.ingestedOnce()
        let again = try db.ingest(Self.samplePaths(expected))
        try #require(again.files.count == expected.order.count)
        for (name, file) in zip(expected.order, again.files) {
            let first = try #require(expected.files[name])
            #expect(file.failure == nil)
            #expect(file.read == first.read, "\(name) read")
            #expect(file.accepted == 0, "\(name) accepts nothing new")
            // What was stored is now a duplicate; what was rejected (conflicts included) is rejected again.
            #expect(file.duplicates == first.accepted + first.duplicates, "\(name) duplicates")
            #expect(Counts(file).rejectedByReason == first.rejectedByReason, "\(name) rejects stay rejects")
            #expect(file.reconciles)
        }
        #expect(try db.count("events") == expected.total.accepted)
        #expect(try db.count("ingests") == 2 * expected.order.count)
        try Self.expectRollupsReconcile(db)
    }
}
