import Testing
import TallyCore
import TallyPostgres
@testable import TallyStore

/// The events table and the ingest records: the direct load (`copy`), the staged load, and
/// reading events back.
@Suite struct EventStoreTests {
    /// An event of `subscription` with key `transactionId`; `properties` must be sorted by key, as
    /// validation leaves them.
    static func event(
        _ subscription: Int64, _ transactionId: String, code: String = "tokens", at timestamp: UTCInstant = utc(2026, 10, 15, 12),
        properties: [(key: String, value: String)] = [("model", "small")], units: String = "1"
    ) -> ValidatedEvent {
        ValidatedEvent(subscriptionId: subscription, transactionId: transactionId, code: code, timestamp: timestamp,
                       properties: properties, units: decimal(units))
    }

    /// One key-ordered run of `events`, on lines 1, 2, … of ingest `ingestId`.
    static func run(_ events: [ValidatedEvent], ingestId: Int64, firstLine: Int = 1) throws -> KeyOrderedEventRows {
        var run = KeyOrderedEventRows(rowLimit: 1_000)
        for (offset, event) in events.enumerated() { run.append(event, line: firstLine + offset, ingestId: ingestId) }
        try run.sortByKey()
        return run
    }

    /// Copies `events` as one run of a new ingest named `source`; returns the ingest's id.
    @discardableResult
    static func store(_ events: [ValidatedEvent], in db: TestStore, source: String = "export.csv") throws -> Int64 {
        try db.store.transaction {
            let ingestId = try db.store.events.beginIngest(source: source, path: "/exports/\(source)", format: "csv", sha256: nil)
            let run = try Self.run(events, ingestId: ingestId)
            try db.store.events.copy { send in try send(run) }
            try db.store.events.finishIngest(ingestId, EventStore.IngestCounts(
                read: events.count, accepted: events.count, duplicates: 0, rejectedByReason: [:], latePeriods: [], rejectsFile: nil))
            return ingestId
        }
    }

    /// Every stored event read back through `forEachEvent`, by "subscription:transaction".
    static func streamed(_ db: TestStore, codes: [String], subscriptionIds: [Int64]) throws -> [String: ValidatedEvent] {
        var events: [String: ValidatedEvent] = [:]
        try db.store.events.forEachEvent(codes: codes, subscriptionIds: subscriptionIds) { event, _ in
            let key = "\(event.subscriptionId):\(event.transactionId)"
            #expect(events[key] == nil, "\(key) is streamed once")
            events[key] = event
        }
        return events
    }

    // MARK: Ingest records

    @Test func anIngestIsRecordedWithTheCountsItFinishedWith() throws {
        let db = try TestStore()
        let id = try db.store.transaction {
            let id = try db.store.events.beginIngest(source: "oct.csv", path: "/exports/oct.csv", format: "csv", sha256: "ab12")
            try db.store.events.finishIngest(id, EventStore.IngestCounts(
                read: 10, accepted: 6, duplicates: 1, rejectedByReason: [.unknownMetric: 2, .malformed: 1],
                latePeriods: [LatePeriod(customer: "acme", period: "2026-09", events: 2)],
                rejectsFile: "/out/rejects/a.ndjson.1.rejects.ndjson"))
            return id
        }
        #expect(try db.rows("""
            SELECT source, path, format, sha256, read::text, accepted::text, duplicates::text, rejected::text,
                   (rejected_by_reason = '{"malformed": 1, "unknown_metric": 2}')::text,
                   (late_periods = '[{"customer": "acme", "period": "2026-09", "events": 2}]')::text,
                   (started_at <= finished_at)::text, rejects_file
            FROM ingests WHERE id = $1
            """, [id]) == [["oct.csv", "/exports/oct.csv", "csv", "ab12", "10", "6", "1", "3", "true", "true", "true",
                            "/out/rejects/a.ndjson.1.rejects.ndjson"]])
        #expect(try db.store.events.ingestExists(id))
        #expect(try !db.store.events.ingestExists(id + 1))
    }

    @Test func countsThatDoNotReconcileAreRefused() throws {
        let db = try TestStore()
        let error = try #require(throws: PostgresError.self) {
            try db.store.transaction {
                let id = try db.store.events.beginIngest(source: "bad.csv", path: "/exports/bad.csv", format: "csv", sha256: nil)
                try db.store.events.finishIngest(id, EventStore.IngestCounts(
                    read: 5, accepted: 3, duplicates: 0, rejectedByReason: [.malformed: 1], latePeriods: [], rejectsFile: nil))
            }
        }
        #expect(Store.isRefusedStatement(error))
        #expect(try db.count("ingests") == 0)
    }

    @Test func anIngestIsFoundByTheChecksumOfItsExport() throws {
        let db = try TestStore()
        let events = db.store.events
        let first = try events.beginIngest(source: "first.csv", path: "/a/first.csv", format: "csv", sha256: "aaaa")
        _ = try events.beginIngest(source: "other.csv", path: "/a/other.csv", format: "csv", sha256: "bbbb")
        _ = try events.beginIngest(source: "again.csv", path: "/a/again.csv", format: "csv", sha256: "aaaa")
        _ = try events.beginIngest(source: "unsummed.ndjson", path: "/a/unsummed.ndjson", format: "ndjson", sha256: nil)

        let found = try #require(try events.ingest(withChecksum: "aaaa"))
        #expect(found.source == "first.csv", "the first ingest of that content")
        let finished = try #require(try db.scalar(
            "SELECT (extract(epoch FROM finished_at) * 1000000)::bigint FROM ingests WHERE id = $1", [first]))
        #expect(String(found.finishedAt.microsecondsSinceEpoch) == finished)
        #expect(try events.ingest(withChecksum: "bbbb")?.source == "other.csv")
        #expect(try events.ingest(withChecksum: "cccc") == nil)
    }

    // MARK: The direct load

    @Test func copyStoresEveryRowOfEachRunSent() throws {
        let db = try TestStore()
        let at = utc(2026, 10, 15, 12, 34, 56, microsecond: 123_456)
        let first = [Self.event(2, "b", at: at, units: "12345678901234567890.123456789012345678"), Self.event(1, "z"), Self.event(1, "a")]
        let second = [Self.event(1, "m", units: "0.000000000000000001"), Self.event(3, "a", code: "calls", properties: [], units: "7")]
        let ingestId = try db.store.transaction {
            let ingestId = try db.store.events.beginIngest(source: "e.csv", path: "/e.csv", format: "csv", sha256: nil)
            let runs = [try Self.run(first, ingestId: ingestId), try Self.run(second, ingestId: ingestId, firstLine: 4)]
            try db.store.events.copy { send in
                for run in runs { try send(run) }
            }
            return ingestId
        }
        #expect(try db.rows("""
            SELECT subscription_id::text, transaction_id, code, properties::text, units::text, ingest_id::text, source_line::text
            FROM events ORDER BY subscription_id, transaction_id
            """) == [
            ["1", "a", "tokens", #"{"model": "small"}"#, "1", "\(ingestId)", "3"],
            ["1", "m", "tokens", #"{"model": "small"}"#, "0.000000000000000001", "\(ingestId)", "4"],
            ["1", "z", "tokens", #"{"model": "small"}"#, "1", "\(ingestId)", "2"],
            ["2", "b", "tokens", #"{"model": "small"}"#, "12345678901234567890.123456789012345678", "\(ingestId)", "1"],
            ["3", "a", "calls", "{}", "7", "\(ingestId)", "5"],
        ])
        #expect(try db.scalar(#"SELECT (extract(epoch FROM "timestamp") * 1000000)::bigint FROM events WHERE transaction_id = 'b'"#)
                == String(at.microsecondsSinceEpoch))
    }

    @Test func copyingAKeyAlreadyStoredThrowsKeyAlreadyStoredAndStoresNothingOfThatCopy() throws {
        let db = try TestStore()
        let firstIngest = try Self.store([Self.event(1, "t1"), Self.event(1, "t2")], in: db)

        let secondIngest = try db.store.transaction {
            let ingestId = try db.store.events.beginIngest(source: "again.csv", path: "/again.csv", format: "csv", sha256: nil)
            let repeating = try Self.run([Self.event(1, "t3"), Self.event(1, "t2", properties: [("model", "large")])], ingestId: ingestId)
            #expect(throws: EventStore.KeyAlreadyStored.self) {
                try db.store.savepoint { try db.store.events.copy { send in try send(repeating) } }
            }
            // The savepoint undid the failed COPY alone: the transaction goes on.
            let fresh = try Self.run([Self.event(1, "t4")], ingestId: ingestId, firstLine: 3)
            try db.store.events.copy { send in try send(fresh) }
            return ingestId
        }
        #expect(try db.rows("SELECT transaction_id, ingest_id::text, properties ->> 'model' FROM events ORDER BY transaction_id") == [
            ["t1", "\(firstIngest)", "small"], ["t2", "\(firstIngest)", "small"], ["t4", "\(secondIngest)", "small"],
        ])
    }

    @Test func aKeyRepeatedAcrossTwoRunsOfOneCopyThrowsKeyAlreadyStored() throws {
        let db = try TestStore()
        #expect(throws: EventStore.KeyAlreadyStored.self) {
            try db.store.transaction {
                let first = try Self.run([Self.event(1, "a"), Self.event(1, "b")], ingestId: 1)
                let second = try Self.run([Self.event(1, "c"), Self.event(1, "b")], ingestId: 1, firstLine: 3)
                try db.store.events.copy { send in
                    try send(first)
                    try send(second)
                }
            }
        }
        #expect(try db.count("events") == 0)
    }

    @Test func containsAnyTellsWhetherAnyKeyIsStored() throws {
        let db = try TestStore()
        // Transaction ids that need quoting inside an array parameter.
        let awkward = #"a,"b"\c {d}"#
        try Self.store([Self.event(1, "a"), Self.event(2, "b"), Self.event(3, awkward), Self.event(4, "NULL")], in: db)
        let events = db.store.events
        #expect(try !events.containsAny([]))
        #expect(try !events.containsAny([(1, "b"), (2, "a")]), "a key is the pair, not either part")
        #expect(try !events.containsAny([(9, "a"), (1, "A")]))
        #expect(try events.containsAny([(9, "x"), (2, "b")]))
        #expect(try events.containsAny([(1, "a")]))
        #expect(try events.containsAny([(3, awkward)]))
        #expect(try events.containsAny([(4, "NULL")]))
        #expect(try !events.containsAny([(3, "a")]))
    }

    // MARK: Reading back

    @Test func hasEventsTellsWhetherAMetricHasStoredEvents() throws {
        let db = try TestStore()
        #expect(try !db.store.events.hasEvents(code: "tokens"))
        try Self.store([Self.event(1, "a", code: "tokens")], in: db)
        #expect(try db.store.events.hasEvents(code: "tokens"))
        #expect(try !db.store.events.hasEvents(code: "calls"))
    }

    @Test func forEachEventStreamsExactlyTheEventsOfTheCodesAndSubscriptionsAsked() throws {
        let db = try TestStore()
        // Keys of several lengths: jsonb keeps them shortest first, not in this (byte) order.
        let properties: [(key: String, value: String)] = [
            ("aa", "1"), ("b", "two words"), ("model", "large"), ("note", #"ünïcødé ✓ "quoted" \ back"#), ("z", ""),
        ]
        let events = [
            Self.event(1, "a", code: "tokens", at: utc(2026, 10, 1, 0, 0, 0, microsecond: 1), properties: properties,
                       units: "12345678901234567890.123456789012345678"),
            Self.event(1, "b", code: "calls", properties: [], units: "3"),
            Self.event(2, "c", code: "tokens", at: utc(2026, 10, 31, 23, 59, 59, microsecond: 999_999), units: "0.000000000000000001"),
            Self.event(2, "d", code: "calls", units: "4.5"),
            Self.event(3, "e", code: "images", units: "100"),
        ]
        try Self.store(events, in: db)
        let byKey = Dictionary(uniqueKeysWithValues: events.map { ("\($0.subscriptionId):\($0.transactionId)", $0) })

        let streamed = try Self.streamed(db, codes: ["tokens"], subscriptionIds: [3])
        #expect(Set(streamed.keys) == ["1:a", "2:c", "3:e"])
        for (key, event) in streamed {
            #expect(event == byKey[key], "\(key) reads back as stored: properties sorted by key, units and instant exact")
        }
        #expect(streamed["1:a"]?.properties.map(\.key) == ["aa", "b", "model", "note", "z"])
        #expect(streamed["1:a"]?.units.description == "12345678901234567890.123456789012345678")

        #expect(Set(try Self.streamed(db, codes: ["calls"], subscriptionIds: [2]).keys) == ["1:b", "2:c", "2:d"])
        #expect(try Self.streamed(db, codes: [], subscriptionIds: []).isEmpty)
        #expect(try Self.streamed(db, codes: ["unknown"], subscriptionIds: [9]).isEmpty)
    }

    @Test func aBodyThatThrowsStopsTheStreamAndLeavesTheStoreUsable() throws {
        struct Enough: Error {}
        let db = try TestStore()
        try Self.store((1...500).map { Self.event(1, "t\($0)") }, in: db)
        var seen = 0
        #expect(throws: Enough.self) {
            try db.store.events.forEachEvent(codes: ["tokens"], subscriptionIds: []) { _, _ in
                seen += 1
                if seen == 3 { throw Enough() }
            }
        }
        #expect(seen == 3)
        #expect(try db.store.events.hasEvents(code: "tokens"))
        #expect(try Self.streamed(db, codes: ["tokens"], subscriptionIds: []).count == 500)
    }

    // MARK: The staged load

    /// Lines of an export with repeated keys: the first line of a key is stored; a later one is a
    /// duplicate when it means the same as the event holding the key (stored before, or an earlier
    /// line), a conflict otherwise; `staging` is left with exactly the accepted events.
    @Test func theStagedLoadKeepsTheFirstLineOfAKeyAndSortsTheOthersIntoDuplicatesAndConflicts() throws {
        let db = try TestStore()
        let t = utc(2026, 10, 10), t2 = utc(2026, 10, 11)
        let small: [(key: String, value: String)] = [("model", "small"), ("tokens", "10")]
        let oldIngest = try db.store.transaction {
            let id = try db.store.events.beginIngest(source: "old.csv", path: "/old.csv", format: "csv", sha256: nil)
            let run = try Self.run([Self.event(1, "t1", at: t, properties: small, units: "10")], ingestId: id, firstLine: 7)
            try db.store.events.copy { send in try send(run) }
            return id
        }

        let october = CalendarMonth(year: 2026, month: 10)
        let lines: [(event: ValidatedEvent, filterValues: String)] = [
            (Self.event(1, "t1", at: t, properties: small, units: "10"), #"{"model":"small"}"#),
            (Self.event(1, "t2", at: t2, properties: [("model", "small"), ("tokens", "5")], units: "5"), #"{"model":"small"}"#),
            (Self.event(1, "t2", at: t2, properties: [("model", "small"), ("tokens", "5")], units: "5"), #"{"model":"small"}"#),
            (Self.event(1, "t1", at: t, properties: [("model", "large"), ("tokens", "10")], units: "10"), #"{"model":"large"}"#),
            (Self.event(1, "t2", at: t2, properties: [("model", "small"), ("tokens", "6")], units: "6"), #"{"model":"small"}"#),
            (Self.event(2, "t1", at: t, properties: [("model", "large"), ("tokens", "3")], units: "3"), #"{"model":"large"}"#),
        ]
        let (newIngest, stored, duplicates, conflicts) = try db.store.transaction {
            let id = try db.store.events.beginIngest(source: "new.csv", path: "/new.csv", format: "csv", sha256: nil)
            try db.store.events.stage { add in
                for (index, line) in lines.enumerated() {
                    try add(EventStore.StagedEvent(line: index + 1, event: line.event, raw: "raw line \(index + 1)",
                                                   month: october, filterValues: line.filterValues, aggregation: .sumAgg,
                                                   microsecondsIntoMonth: 0, arrival: Int64(index + 1), unique: nil))
                }
            }
            let stored = try db.store.events.storeStaged(ingestId: id)
            var conflicts: [EventStore.Conflict] = []
            let duplicates = try db.store.events.classifyRefused(ingestId: id) { conflicts.append($0) }
            try db.store.usage.addStaged()
            return (id, stored, duplicates, conflicts)
        }
        #expect(stored == 2)
        #expect(duplicates == 2, "line 1 repeats the stored event, line 3 repeats line 2")
        #expect(conflicts.map(\.line) == [4, 5])
        #expect(conflicts.map(\.raw) == ["raw line 4", "raw line 5"])
        #expect(conflicts.map { "\($0.subscriptionId):\($0.transactionId)" } == ["1:t1", "1:t2"])
        #expect(conflicts.map(\.heldByThisExport) == [false, true])
        #expect(conflicts.map(\.holderLine) == [7, 2])
        #expect(conflicts.map(\.holderSource) == ["old.csv", "new.csv"])

        #expect(try db.rows("""
            SELECT subscription_id::text, transaction_id, ingest_id::text, source_line::text, units::text
            FROM events ORDER BY subscription_id, transaction_id
            """) == [["1", "t1", "\(oldIngest)", "7", "10"], ["1", "t2", "\(newIngest)", "2", "5"], ["2", "t1", "\(newIngest)", "6", "3"]])
        // Only the accepted lines (2 and 6) reached the rollups.
        let buckets = try db.store.usage.buckets(subscriptionIds: [1, 2], month: october).buckets
        #expect(buckets[1]?.map { "\($0.code) \($0.filterValues) \($0.units) \($0.eventsCount)" } == [#"tokens ["model": "small"] 5 1"#])
        #expect(buckets[2]?.map { "\($0.code) \($0.filterValues) \($0.units) \($0.eventsCount)" } == [#"tokens ["model": "large"] 3 1"#])
    }
}
