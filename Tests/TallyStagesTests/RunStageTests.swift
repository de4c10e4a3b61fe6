import Foundation
import Testing
import TallyCore
import TallyStages

/// `tally run` over an inbox (issue: the nightly pipeline): new exports are ingested and moved,
/// a bad one goes to failed/, one already seen is recognised by content, periods are closed, and
/// the run and its stages are recorded.
@Suite struct RunStageTests {
    let db: TestDatabase
    let inbox: String, processed: String, failed: String
    let pipelinePath: String

    init() throws {
        db = try TestDatabase()
        let base = db.workDirectory + "/pipeline"
        inbox = base + "/inbox"
        processed = base + "/processed"
        failed = base + "/failed"
        try FileManager.default.createDirectory(atPath: inbox, withIntermediateDirectories: true)
        let catalog = try db.write("catalog.json", CloseCatalog.document(
            plans: [CloseCatalog.plan("tokens", charges: [CloseCatalog.perFilterCharge])],
            customers: [CloseCatalog.customer("cust")],
            subscriptions: [CloseCatalog.subscription("sub", customer: "cust", plan: "tokens", at: "2026-10-01T00:00:00Z")]))
        pipelinePath = base + "/pipeline.json"
        try #"{"name": "test", "catalog": "\#(catalog)", "inbox": "inbox", "processed": "processed", "failed": "failed"}"#
            .write(toFile: pipelinePath, atomically: true, encoding: .utf8)
    }

    func run(asOf: String = "2026-11-05T00:00:00Z") throws -> RunSummary {
        let pipeline = try PipelineFile(path: pipelinePath)
        return try RunStage(database: db.database, pipeline: pipeline, outDirectory: db.outDirectory)
            .run(asOf: TimestampParser.parseRFC3339(Substring(asOf))!, now: closeNow)
    }

    func drop(_ name: String, _ contents: String) throws {
        try contents.write(toFile: inbox + "/" + name, atomically: true, encoding: .utf8)
    }

    func names(_ folder: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder).filter { !$0.hasPrefix(".") }.sorted()
    }

    @Test func goodBadAndAlreadySeenExports() throws {
        let good = [
            tokenEvent("a", subscription: "sub", at: "2026-10-10T12:00:00Z", tokens: 2_000_000),
            tokenEvent("b", subscription: "sub", at: "2026-10-11T12:00:00Z", tokens: 1_500_000, type: "output"),
            tokenEvent("c", subscription: "nobody", at: "2026-10-11T12:00:00Z", tokens: 1),
        ].joined(separator: "\n") + "\n"
        try drop("1-good.ndjson", good)
        try drop("2-bad.csv", "transaction_id,external_subscription_id,code\nx,sub,ai_tokens\n")  // no timestamp column
        try drop("3-same-as-good.ndjson", good)

        let summary = try run()

        // 1-good: 3 read, 2 accepted, 1 unknown_subscription; 2-bad fails whole; 3 is 1-good again.
        #expect(summary.ingest.files.map { ($0.path as NSString).lastPathComponent } == ["1-good.ndjson", "2-bad.csv"])
        #expect(summary.ingest.total.read == 3)
        #expect(summary.ingest.total.accepted == 2)
        #expect(summary.ingest.total.rejected == 1)
        #expect(summary.ingest.failedFiles.count == 1)
        #expect(summary.skipped.count == 1 && summary.skipped[0].hasPrefix("3-same-as-good.ndjson"))
        #expect(summary.outcome == .failed)
        #expect(try names(inbox).isEmpty)
        #expect(try names(processed) == ["1-good.ndjson", "3-same-as-good.ndjson"])
        #expect(try names(failed) == ["2-bad.csv"])

        // October closed: 2 packages of small-input at 1.00 plus 2 of small-output at 2.00 = 600 cents.
        #expect(try db.invoice("cust", "2026-10").feesAmountCents == 600)
        #expect(FileManager.default.fileExists(atPath: db.outDirectory + "/invoices/2026-10/TST-001-001.json"))

        // The run and its stages are recorded with their counts.
        let run = try db.rows("SELECT outcome, summary->'ingest'->>'accepted' FROM runs WHERE id = $1", [String(summary.runId)])
        #expect(run == [["failed", "2"]])
        let stages = try db.rows("SELECT stage, outcome, counts->>'files', counts->>'skipped' FROM run_stages WHERE run_id = $1 ORDER BY started_at, stage",
                                 [String(summary.runId)])
        #expect(stages.map { $0[0] } == ["catalog", "ingest", "close"])
        #expect(stages[1] == ["ingest", "succeeded", "2", "1"])
        let report = try #require(summary.reportPath)
        let reportJSON = try JSONParser.parse(String(contentsOfFile: report, encoding: .utf8))
        #expect(reportJSON.objectValue?["outcome"] == .string("failed"))
    }

    @Test func aSecondRunWithAnEmptyInboxChangesNothing() throws {
        try drop("events.ndjson", tokenEvent("a", subscription: "sub", at: "2026-10-10T12:00:00Z", tokens: 2_000_000) + "\n")
        let first = try run()
        #expect(first.outcome == .succeeded)
        let invoices = try db.count("invoices"), events = try db.count("events")
        let second = try run()
        #expect(second.outcome == .succeeded)
        #expect(second.ingest.files.isEmpty)
        #expect(second.close?.issued.isEmpty == true)
        #expect(second.close?.alreadyClosed == ["cust 2026-10"])
        #expect(try db.count("invoices") == invoices)
        #expect(try db.count("events") == events)
        #expect(try db.count("runs") == 2)
    }

    @Test func aRunKilledBeforeItRecordedItsEndIsMarkedInterrupted() throws {
        try db.connection.execute("INSERT INTO runs (pipeline, as_of) VALUES ('test', now())")
        try db.connection.execute("INSERT INTO run_stages (run_id, stage) SELECT max(id), 'ingest' FROM runs")
        _ = try run()
        #expect(try db.rows("SELECT outcome FROM runs ORDER BY id").map { $0[0] } == ["interrupted", "succeeded"])
        #expect(try db.scalar("SELECT outcome FROM run_stages WHERE stage = 'ingest' ORDER BY run_id LIMIT 1") == "interrupted")
    }

    /// A FIFO dropped in the inbox could not be read twice (checksum, then events): it goes to
    /// failed/ at once, and the run goes on.
    @Test func aFIFOInTheInboxGoesToFailedWithoutBlockingTheRun() throws {
        #expect(mkfifo(inbox + "/pipe.ndjson", 0o600) == 0)
        try drop("a.ndjson", tokenEvent("a-1", subscription: "sub", at: "2026-10-05T00:00:00Z", tokens: 1_000_000) + "\n")
        let summary = try run()
        #expect(summary.outcome == .failed)
        #expect(summary.ingest.files.map { $0.failure == nil } == [true, false])
        #expect(summary.ingest.files.last?.failure?.contains("not a regular file") == true)
        #expect(try names(failed) == ["pipe.ndjson"])
        #expect(try names(processed) == ["a.ndjson"])
    }
}
