import Foundation
import Testing
@testable import TallyCore
@testable import TallyStages

/// Ingest stores a file one of two ways (`IngestStage`): copied straight into `events`, its usage
/// summed in Swift, when no key repeats; else staged and deduplicated in SQL. Both must end in the
/// same events, rollups and counts.
@Suite struct DirectLoadTests {
    /// The standard catalog, its customer billed in New York time, so month buckets are not UTC months.
    static func database() throws -> TestDatabase {
        let db = try TestDatabase()
        try db.applyCatalog(TestCatalog.standard.replacingOccurrences(
            of: #""currency": "USD"}"#, with: #""currency": "USD", "timezone": "America/New_York"}"#))
        return db
    }

    static func line(_ id: String, _ subscription: String, _ timestamp: String, tokens: String, model: String = "mistral-small",
                     type: String = "input") -> String {
        #"{"transaction_id": "\#(id)", "external_subscription_id": "\#(subscription)", "code": "ai_tokens", "timestamp": "\#(timestamp)", "properties": {"tokens": \#(tokens), "model": "\#(model)", "type": "\#(type)"}}"#
    }

    /// Events on both sides of New York's month starts (04:00Z in October and November), with
    /// decimal units and several buckets.
    static let events: [String] = {
        var lines: [String] = []
        let instants = ["2026-10-01T03:59:59Z", "2026-10-01T04:00:00Z", "2026-10-15T12:00:00Z",
                        "2026-11-01T03:59:59.999999Z", "2026-11-01T04:00:00Z"]
        for (index, instant) in instants.enumerated() {
            for subscription in ["sub-a", "sub-b"] {
                lines.append(line("\(subscription)-\(index)-in", subscription, instant, tokens: "\(index + 1)000"))
                lines.append(line("\(subscription)-\(index)-out", subscription, instant, tokens: #""\#(index).25""#, type: "output"))
                lines.append(line("\(subscription)-\(index)-large", subscription, instant, tokens: "7", model: "mistral-large"))
            }
        }
        return lines
    }()

    func stored(_ db: TestDatabase) throws -> (events: [[String?]], rollups: [[String?]]) {
        (try db.rows("""
            SELECT subscription_id, transaction_id, code, "timestamp"::text, properties::text, units::text, source_line
            FROM events ORDER BY subscription_id, transaction_id
            """),
         try db.rows("""
            SELECT subscription_id, code, month::text, filter_values::text, units::text, events_count
            FROM event_rollups ORDER BY subscription_id, code, month, filter_values
            """))
    }

    @Test func aFileWithoutRepeatsIsStoredAsTheStagedWayStoresIt() throws {
        let direct = try Self.database()
        let directFile = try direct.ingest(try direct.write("events.ndjson", Self.events.joined(separator: "\n") + "\n"))
        expectCounts(directFile, read: 30, accepted: 30)

        // The same events and, last, a repeat of the first: the direct load refuses, the staged one stores.
        let staged = try Self.database()
        let stagedFile = try staged.ingest(try staged.write("events.ndjson", (Self.events + [Self.events[0]]).joined(separator: "\n") + "\n"))
        expectCounts(stagedFile, read: 31, accepted: 30, duplicates: 1)

        let directRows = try stored(direct), stagedRows = try stored(staged)
        #expect(directRows.events.count == 30)
        #expect(directRows.events == stagedRows.events)
        #expect(directRows.rollups == stagedRows.rollups)
        // 03:59:59Z on October 1 is still September in New York; 04:00:00Z is October.
        let months = try direct.rows("""
            SELECT month::text, sum(events_count) FROM event_rollups GROUP BY month ORDER BY month
            """)
        #expect(months == [["2026-09-01", "6"], ["2026-10-01", "18"], ["2026-11-01", "6"]])
        #expect(try direct.scalar("""
            SELECT units::text FROM event_rollups r JOIN subscriptions s ON s.id = r.subscription_id
            WHERE s.external_id = 'sub-a' AND month = '2026-10-01' AND filter_values = '{"model": "mistral-small", "type": "output"}'
            """) == "6.75", "1.25 + 2.25 + 3.25, exactly")
    }

    @Test func aKeyRepeatedInALaterRunFallsBackToStagingWithTheSameOutcome() throws {
        let db = try Self.database()
        let at = "2026-10-15T12:00:00Z"
        let lines = [
            Self.line("a", "sub-a", at, tokens: "1"), Self.line("b", "sub-a", at, tokens: "2"),
            Self.line("c", "sub-a", at, tokens: "3"), Self.line("a", "sub-a", at, tokens: "1"),  // a duplicate of line 1
            Self.line("d", "sub-b", at, tokens: "4"), Self.line("b", "sub-a", at, tokens: "20"),  // a conflict with line 2
        ]
        let path = try db.write("events.ndjson", lines.joined(separator: "\n") + "\n")
        // Runs of two rows: lines 3 and 4 form the second run, so PostgreSQL's unique index is what
        // meets the repeat of line 1, after the first run was sent.
        var stage = IngestStage(database: db.database, outDirectory: db.outDirectory)
        stage.rowsPerRun = 2
        let file = try #require(try stage.ingest([path]).files.first)
        expectCounts(file, read: 6, accepted: 4, duplicates: 1, rejected: [.duplicateConflict: 1])
        #expect(try db.rows("SELECT transaction_id, units::text, source_line FROM events ORDER BY transaction_id")
                == [["a", "1", "1"], ["b", "2", "2"], ["c", "3", "3"], ["d", "4", "5"]])
        #expect(try db.rejects(for: path).map(\.line) == [6])
        #expect(try db.rows("SELECT code, units::text, events_count FROM event_rollups ORDER BY units")
                == [["ai_tokens", "4", "1"], ["ai_tokens", "6", "3"]])
    }

    @Test func anExportIngestedAgainIsRecognisedAndCountedAsDuplicates() throws {
        let db = try Self.database()
        let path = try db.write("events.ndjson", Self.events.joined(separator: "\n") + "\n")
        var stage = IngestStage(database: db.database, outDirectory: db.outDirectory)
        stage.rowsPerRun = 4
        expectCounts(try #require(try stage.ingest([path]).files.first), read: 30, accepted: 30)
        let rollups = try stored(db).rollups
        expectCounts(try #require(try stage.ingest([path]).files.first), read: 30, accepted: 0, duplicates: 30)
        #expect(try stored(db).rollups == rollups, "nothing is summed twice")
        #expect(try db.count("events") == 30)
    }

    @Test func transactionIdsWithArraySyntaxAreRecognisedWhenFedAgain() throws {
        let db = try Self.database()
        // The check for an export fed before sends the keys as a text[] literal: quotes, backslashes,
        // commas, braces and spaces must survive it.
        let ids = [#"a"b"#, #"c\\d"#, "e,f", "{g}", " h ", "NULL"]
        let lines = ids.map { id in
            Self.line(String(JSONValue.string(id).serialized.dropFirst().dropLast()), "sub-a", "2026-10-15T12:00:00Z", tokens: "1")
        }
        let path = try db.write("events.ndjson", lines.joined(separator: "\n") + "\n")
        expectCounts(try db.ingest(path), read: 6, accepted: 6)
        expectCounts(try db.ingest(path), read: 6, accepted: 0, duplicates: 6)
        #expect(try db.rows("SELECT transaction_id FROM events ORDER BY transaction_id").map { $0[0]! } == ids.sorted())
    }

    @Test func deeplyNestedPropertiesAreReadOnTheReaderThread() throws {
        let db = try Self.database()
        // Nesting up to the parser's limit: parsing and canonical JSON recurse on the reader thread's stack.
        let nested = String(repeating: "[", count: 60) + "1" + String(repeating: "]", count: 60)
        let path = try db.write("events.ndjson", #"{"transaction_id": "deep", "external_subscription_id": "sub-a", "code": "ai_tokens", "timestamp": "2026-10-15T12:00:00Z", "properties": {"tokens": 5, "trace": \#(nested)}}"# + "\n")
        expectCounts(try db.ingest(path), read: 1, accepted: 1)
        #expect(try db.scalar("SELECT properties -> 'trace' #>> '{}' FROM events") == nested)
    }

    @Test func readAheadHandsOverEveryValueThenTheProducersError() throws {
        struct Broke: Error {}
        let values = ReadAhead<Int>(capacity: 1) { send in
            for value in 1...50 { try send(value) }
            throw Broke()
        }
        var received: [Int] = []
        #expect(throws: Broke.self) { while let value = try values.next() { received.append(value) } }
        #expect(received == Array(1...50))

        // A consumer that stops early releases a producer blocked on a full queue.
        final class Count: @unchecked Sendable {
            let lock = NSLock()
            var value = 0
        }
        let sent = Count()
        let endless = ReadAhead<Int>(capacity: 1) { send in
            while true {
                try send(1)
                sent.lock.withLock { sent.value += 1 }
            }
        }
        #expect(try endless.next() == 1)
        endless.stop()
        let total = sent.lock.withLock { sent.value }
        #expect(total >= 1 && total <= 3, "the producer stopped at the full queue (sent \(total))")
    }
}
