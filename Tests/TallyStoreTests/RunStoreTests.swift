import Glibc
import Testing
import TallyCore
import TallyPostgres
@testable import TallyStore
import TallyTestSupport

/// The run lock, and the record of runs and their stages.
@Suite struct RunStoreTests {
    /// The server process of `store`'s connection.
    static func backendPid(_ store: Store) throws -> Int {
        try store.connection.queryValue("SELECT pg_backend_pid() AS pid", column: "pid")
    }

    @Test func theRunLockIsHeldByOneStoreOfADatabaseAtATime() throws {
        let scratch = try ScratchDatabase()
        // Should the first store's lock outlive it, the wait below fails instead of hanging.
        let second = try Store(connectionString: scratch.connectionString, settings: [("lock_timeout", "60s")])
        do {
            let first = try Store(connectionString: scratch.connectionString)
            try withExtendedLifetime(first) {
                #expect(try first.runs.lock() == nil, "free: taken")
                #expect(try first.runs.lock() == nil, "its holder may take it again")
                let holder = try second.runs.lock()
                #expect(holder != nil, "held by the first store")
                #expect(holder.map { !$0.description.isEmpty } == true)
            }
        }
        // The first store is gone, its connection closed: the lock is released with it (waiting,
        // since the server lets it go when the closed session's process ends).
        var holder = try second.runs.lock()
        for _ in 0..<300 where holder != nil {
            usleep(100_000)
            holder = try second.runs.lock()
        }
        #expect(holder == nil, "taken once the first store's session ended")
        let third = try Store(connectionString: scratch.connectionString)
        #expect(try third.runs.lock() != nil, "now held by the second store")
        let holders: [[String?]] = try third.connection.textRows("""
            SELECT pid::text FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = $1::bigint
                AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
            """, [AdvisoryLock.run.rawValue])
        let secondPid = try Self.backendPid(second)
        #expect(holders == [[String(secondPid)]])
    }

    /// A database's run lock is its own: stores holding it on other databases of the server do not
    /// take it, and the holder reported for this database is the process holding it here.
    @Test func theRunLockAndItsHolderAreThoseOfThisDatabase() throws {
        var others: [(ScratchDatabase, Store)] = []
        for _ in 0..<4 {
            let scratch = try ScratchDatabase()
            let store = try Store(connectionString: scratch.connectionString)
            #expect(try store.runs.lock() == nil, "taken, though other databases' run locks are held")
            others.append((scratch, store))
        }
        let scratch = try ScratchDatabase()
        let first = try Store(connectionString: scratch.connectionString)
        let second = try Store(connectionString: scratch.connectionString)
        #expect(try first.runs.lock() == nil)
        let holder = try #require(try second.runs.lock())
        let pid = try Self.backendPid(first)
        #expect(holder.pid == pid, "the holder is the first store's process \(pid), not one holding the lock on another database")
        withExtendedLifetime(others) {}
    }

    @Test func aRunAndItsStagesAreRecordedFromStartToEnd() throws {
        let db = try TestStore()
        let runs = db.store.runs
        let asOf = utc(2026, 11, 1, 2, 30)
        let run = try runs.start(pipeline: "nightly", asOf: asOf)
        #expect(try db.rows("""
            SELECT pipeline, (extract(epoch FROM as_of) * 1000000)::bigint::text, outcome, finished_at IS NULL, summary IS NULL
            FROM runs WHERE id = $1
            """, [run]) == [["nightly", String(asOf.microsecondsSinceEpoch), "running", "t", "t"]])

        try runs.startStage(run: run, stage: "ingest")
        try runs.startStage(run: run, stage: "close")
        #expect(try db.rows("SELECT stage, outcome, finished_at IS NULL FROM run_stages WHERE run_id = $1 ORDER BY stage", [run])
                == [["close", "running", "t"], ["ingest", "running", "t"]])
        try runs.finishStage(run: run, stage: "ingest", counts: ["read": 10, "accepted": 9, "rejected": 1])
        try runs.failStage(run: run, stage: "close", message: "the disk is full")
        try runs.finish(run: run, outcome: "failed", summary: .object(JSONObject([
            ("files", .number("2")), ("stages", .array([.string("ingest"), .string("close")])),
        ])))

        #expect(try db.rows("""
            SELECT stage, outcome, counts = '{"accepted": 9, "read": 10, "rejected": 1}'::jsonb, message, finished_at >= started_at
            FROM run_stages WHERE run_id = $1 ORDER BY stage
            """, [run]) == [["close", "failed", nil, "the disk is full", "t"], ["ingest", "succeeded", "t", nil, "t"]])
        #expect(try db.rows("""
            SELECT outcome, summary = '{"files": 2, "stages": ["ingest", "close"]}'::jsonb, finished_at >= started_at FROM runs WHERE id = $1
            """, [run]) == [["failed", "t", "t"]])

        // A stage runs once per run; a run ends in one of the known outcomes.
        let again = try #require(throws: PostgresError.self) { try runs.startStage(run: run, stage: "ingest") }
        #expect(again.code == .uniqueViolation)
        let next = try runs.start(pipeline: "nightly", asOf: asOf)
        #expect(next > run)
        #expect(throws: PostgresError.self) { try runs.finish(run: next, outcome: "so-so", summary: .object(JSONObject())) }
        #expect(try db.scalar("SELECT outcome FROM runs WHERE id = $1", [next]) == "running")
    }

    @Test func runsAndStagesLeftRunningAreMarkedInterrupted() throws {
        let db = try TestStore()
        let runs = db.store.runs
        let done = try runs.start(pipeline: "nightly", asOf: utc(2026, 10, 1))
        try runs.startStage(run: done, stage: "ingest")
        try runs.finishStage(run: done, stage: "ingest", counts: [:])
        try runs.finish(run: done, outcome: "succeeded", summary: .object(JSONObject()))
        let killed = try runs.start(pipeline: "nightly", asOf: utc(2026, 11, 1))
        try runs.startStage(run: killed, stage: "ingest")
        try runs.finishStage(run: killed, stage: "ingest", counts: ["read": 1])
        try runs.startStage(run: killed, stage: "close")
        let before = try db.rows("SELECT outcome, finished_at::text FROM runs WHERE id = $1", [done])

        try runs.markAbandonedRunsInterrupted()
        #expect(try db.rows("SELECT outcome, finished_at::text FROM runs WHERE id = $1", [done]) == before, "a finished run is left alone")
        #expect(try db.rows("SELECT outcome, finished_at IS NOT NULL FROM runs WHERE id = $1", [killed]) == [["interrupted", "t"]])
        #expect(try db.rows("""
            SELECT run_id::text, stage, outcome, finished_at IS NOT NULL FROM run_stages ORDER BY run_id, stage
            """) == [["\(done)", "ingest", "succeeded", "t"], ["\(killed)", "close", "interrupted", "t"], ["\(killed)", "ingest", "succeeded", "t"]])
        try runs.markAbandonedRunsInterrupted()
        #expect(try db.scalar("SELECT count(*) FROM runs WHERE outcome = 'interrupted'") == "1")
    }
}
