import Foundation
import Testing
import TallyCore
import TallyStages
import TallyTestSupport

/// docs/BILLING.md, crashes and re-runs: a run killed at any point (SIGKILL, as a power cut) and started again
/// ends in the same state as an uninterrupted run. The `tally` binary is run as a subprocess and kills
/// itself at a named point (`TALLY_CRASH_AT`), so no test depends on timing.
@Suite struct RunCrashTests {
    static let points = ["ingest-reading", "ingest-before-commit", "ingest-after-commit", "run-before-move", "close-rating",
                         "close-after-batch", "close-after-first-file"]

    /// A database with a pipeline folder holding two exports, ready for `tally run`.
    struct Setup {
        let db: TestDatabase
        let pipeline: String
        let base: String

        init() throws {
            db = try TestDatabase()
            base = db.workDirectory + "/pipeline"
            try FileManager.default.createDirectory(atPath: base + "/inbox", withIntermediateDirectories: true)
            let catalog = try db.write("catalog.json", CloseCatalog.document(
                plans: [CloseCatalog.plan("tokens", amountCents: 3100, charges: [CloseCatalog.perFilterCharge])],
                customers: [CloseCatalog.customer("ny", timezone: "America/New_York"), CloseCatalog.customer("utc")],
                subscriptions: [
                    CloseCatalog.subscription("ny-main", customer: "ny", plan: "tokens", at: "2026-10-15T04:00:00Z"),
                    CloseCatalog.subscription("utc-main", customer: "utc", plan: "tokens", at: "2026-10-01T00:00:00Z"),
                ],
                wallets: [CloseCatalog.wallet("credits", customer: "utc", paid: "5.0", granted: "2.0")]))
            pipeline = base + "/pipeline.json"
            try #"{"name": "crash", "catalog": "\#(catalog)", "inbox": "inbox", "processed": "processed", "failed": "failed", "out": "out"}"#
                .write(toFile: pipeline, atomically: true, encoding: .utf8)
            let first = (0..<40).map { i in
                tokenEvent("first-\(i)", subscription: i % 2 == 0 ? "ny-main" : "utc-main",
                           at: "2026-10-\(16 + i % 10)T12:00:00Z", tokens: 250_000 * (i + 1), type: i % 3 == 0 ? "output" : "input")
            }
            let second = (0..<30).map { i in
                tokenEvent("second-\(i)", subscription: "utc-main", at: "2026-10-0\(1 + i % 9)T08:00:00Z", tokens: 700_001 * (i + 1), model: "large")
            } + [tokenEvent("first-3", subscription: "utc-main", at: "2026-10-19T12:00:00Z", tokens: 1_000_000)]  // first-3 again, other content: a conflict
            try (first.joined(separator: "\n") + "\n").write(toFile: base + "/inbox/a.ndjson", atomically: true, encoding: .utf8)
            try (second.joined(separator: "\n") + "\n").write(toFile: base + "/inbox/b.ndjson", atomically: true, encoding: .utf8)
        }

        /// Runs `tally run` and returns how it ended.
        func run(crashAt point: String? = nil) throws -> (reason: Process.TerminationReason, status: Int32) {
            let process = Process()
            process.executableURL = try TallyBinary.url()
            process.arguments = ["run", pipeline, "--as-of", "2026-11-05T00:00:00Z",
                                 "--database-url", db.connectionString]
            var environment = ProcessInfo.processInfo.environment
            environment["TALLY_CRASH_AT"] = point
            process.environment = environment
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            return (process.terminationReason, process.terminationStatus)
        }

        /// Everything a run leaves behind, by meaning: no generated ids or timestamps.
        func state() throws -> [String] {
            var lines = try db.rows("""
                SELECT 'event', s.external_id, e.transaction_id, e.code, e."timestamp"::text, e.properties::text, e.units::text
                FROM events e JOIN subscriptions s ON s.id = e.subscription_id ORDER BY 2, 3
                """).map { $0.map { $0 ?? "∅" }.joined(separator: "|") }
            for query in [
                "SELECT 'ingest', regexp_replace(source, '.*/', ''), read, accepted, duplicates, rejected FROM ingests ORDER BY 2",
                "SELECT 'rollup', subscription_id, code, month::text, filter_values::text, units::text, events_count FROM event_rollups ORDER BY 2, 3, 4, 5",
                """
                SELECT 'invoice', number, period, status, fees_amount_cents, prepaid_credit_amount_cents,
                       prepaid_granted_credit_amount_cents, prepaid_purchased_credit_amount_cents, total_amount_cents
                FROM invoices ORDER BY number
                """,
                """
                SELECT 'fee', i.number, f.fee_type, f.item_code, f.filter_invoice_display_name, f.units::text, f.events_count, f.amount_cents
                FROM fees f JOIN invoices i ON i.id = f.invoice_id ORDER BY 2, f.position
                """,
                """
                SELECT 'wallet', w.name, t.direction, t.granted_credits::text, t.purchased_credits::text, i.number
                FROM wallet_transactions t JOIN wallets w ON w.id = t.wallet_id LEFT JOIN invoices i ON i.id = t.invoice_id ORDER BY t.id
                """,
            ] {
                lines += try db.rows(query).map { $0.map { $0 ?? "∅" }.joined(separator: "|") }
            }
            // Rejects files, their names without the ingest id (a crashed ingest used up an id).
            let rejects = base + "/out/rejects"
            for name in ((try? FileManager.default.contentsOfDirectory(atPath: rejects)) ?? []).sorted() {
                let content = try String(contentsOfFile: rejects + "/" + name, encoding: .utf8)
                    .replacingOccurrences(of: base, with: "…")
                let stable = name.replacingOccurrences(of: #"\.\d+\.rejects"#, with: ".N.rejects", options: .regularExpression)
                lines.append("rejects \(stable): \(content)")
            }
            for folder in ["inbox", "processed", "failed"] {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: base + "/" + folder)) ?? []
                lines.append("\(folder): " + names.filter { !$0.hasPrefix(".") }.sorted().joined(separator: ","))
            }
            let invoices = base + "/out/invoices"
            for period in try FileManager.default.contentsOfDirectory(atPath: invoices).sorted() {
                for name in try FileManager.default.contentsOfDirectory(atPath: invoices + "/" + period).sorted() {
                    let path = invoices + "/" + period + "/" + name
                    if name.hasSuffix(".json") {
                        let document = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))
                        let stable = try JSONSerialization.data(withJSONObject: Self.withoutGeneratedFields(document), options: [.sortedKeys])
                        lines.append("file \(period)/\(name): " + String(decoding: stable, as: UTF8.self))
                    } else {
                        lines.append("file \(period)/\(name): " + (try String(contentsOfFile: path, encoding: .utf8)))
                    }
                }
            }
            return lines
        }

        static func withoutGeneratedFields(_ value: Any) -> Any {
            if let object = value as? [String: Any] {
                var kept: [String: Any] = [:]
                for (key, element) in object where !(key.hasPrefix("lago_") || key.hasSuffix("_at")) {
                    kept[key] = withoutGeneratedFields(element)
                }
                return kept
            }
            if let array = value as? [Any] { return array.map(withoutGeneratedFields) }
            return value
        }
    }

    @Test(arguments: points)
    func aRunKilledAtAPointAndRunAgainEndsAsAnUninterruptedRun(point: String) throws {
        let reference = try Setup()
        let uninterrupted = try reference.run()
        // 3: finished, one event rejected (the conflicting first-3).
        #expect(uninterrupted.reason == .exit && uninterrupted.status == 3)

        let crashed = try Setup()
        let killed = try crashed.run(crashAt: point)
        #expect(killed.reason == .uncaughtSignal && killed.status == SIGKILL, "tally did not reach \(point)")
        let rerun = try crashed.run()
        // Exit 3 reports the rejects of what this run ingested: after a crash during close, the
        // exports were all ingested (and their rejects written) by the killed run.
        #expect(rerun.reason == .exit && rerun.status == (point.hasPrefix("close") ? 0 : 3))

        let expected = try reference.state(), got = try crashed.state()
        #expect(expected.contains { $0.hasPrefix("invoice|") }, "the reference run issued invoices")
        let differences = Set(got).symmetricDifference(expected).sorted()
        #expect(got == expected, "after a crash at \(point), \(differences.count) line(s) differ, e.g. \(differences.prefix(3).map { String($0.prefix(300)) })")
    }
}

/// SIGTERM stops a command at its next safe point, the open transaction rolled back: the signal
/// is sent by the command to itself at a named point (`TALLY_SIGNAL_AT`), so no test depends on
/// timing.
@Suite struct SignalTests {
    /// Runs the `tally` binary with `arguments` against the test's database; returns its exit
    /// status and what it printed on stderr.
    static func tally(_ db: TestDatabase, _ arguments: [String], signalAt point: String) throws -> (status: Int32, errors: String) {
        let process = Process()
        process.executableURL = try TallyBinary.url()
        process.arguments = arguments + ["--database-url", db.connectionString, "--out", db.outDirectory]
        var environment = ProcessInfo.processInfo.environment
        environment["TALLY_SIGNAL_AT"] = point
        process.environment = environment
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit, "tally ended by a signal, not at a safe point")
        return (process.terminationStatus, text)
    }

    static func export(_ db: TestDatabase, events: Int) throws -> String {
        try db.write("many.ndjson", (1...events).map { index in
            #"{"transaction_id": "t\#(index)", "external_subscription_id": "sub-a", "code": "ai_tokens", "timestamp": "2026-10-15T12:00:00Z", "properties": {"tokens": 1}}"#
        }.joined(separator: "\n") + "\n")
    }

    @Test func anIngestSignalledWhileReadingStoresNothing() throws {
        let db = try TestDatabase.withStandardCatalog()
        let path = try Self.export(db, events: 5_000)
        let run = try Self.tally(db, ["ingest", path], signalAt: "ingest-reading")
        #expect(run.status == 1)
        #expect(run.errors.contains("stopped by SIGTERM at a safe point"), "\(run.errors)")
        #expect(try db.count("events") == 0)
        #expect(try db.count("ingests") == 0)
    }

    @Test func anIngestSignalledJustBeforeItsCommitStoresNothing() throws {
        let db = try TestDatabase.withStandardCatalog()
        let path = try Self.export(db, events: 10)
        let run = try Self.tally(db, ["ingest", path], signalAt: "ingest-before-commit")
        #expect(run.status == 1 && run.errors.contains("stopped by SIGTERM"), "\(run.errors)")
        #expect(try db.count("events") == 0)
    }

    @Test func aWaitForTheRunLockEndsOnSIGTERM() throws {
        let db = try TestDatabase.withStandardCatalog()
        try db.database.lockRuns(wait: false)
        let path = try Self.export(db, events: 10)
        let run = try Self.tally(db, ["ingest", "--wait", path], signalAt: "lock-wait")
        #expect(run.status == 1 && run.errors.contains("stopped by SIGTERM"), "\(run.errors)")
        #expect(try db.count("events") == 0)
    }

    @Test func aCloseSignalledWhileRatingIssuesNothing() throws {
        let db = try TestDatabase()
        try db.applyCatalog(CloseCatalog.document(
            plans: [CloseCatalog.plan("tokens", amountCents: 1000, charges: [])],
            customers: [CloseCatalog.customer("one")],
            subscriptions: [CloseCatalog.subscription("one-sub", customer: "one", plan: "tokens", at: "2026-09-01T00:00:00Z")]))
        let run = try Self.tally(db, ["close", "--period", "2026-10"], signalAt: "close-rating")
        #expect(run.status == 1 && run.errors.contains("stopped by SIGTERM"), "\(run.errors)")
        #expect(try db.count("invoices") == 0)
    }
}

/// Outputs name customers (invoices), events (rejects) and runs: the `tally` binary creates them
/// closed to other users.
@Suite struct OutputPermissionTests {
    @Test func everyOutputIsClosedToOtherUsers() throws {
        let setup = try RunCrashTests.Setup()
        let run = try setup.run()
        #expect(run.reason == .exit && run.status == 3)
        let out = setup.base + "/out"
        var checked = 0
        let walker = try #require(FileManager.default.enumerator(atPath: out))
        for case let relative as String in walker {
            let attributes = try FileManager.default.attributesOfItem(atPath: out + "/" + relative)
            let mode = try #require(attributes[.posixPermissions] as? Int)
            #expect(mode & 0o027 == 0, "\(relative) is \(String(mode, radix: 8))")
            checked += 1
        }
        #expect(checked >= 6, "invoices, summary, rejects and the run report were checked (\(checked))")
    }
}

/// docs/BILLING.md, the run lock: two runs at once against one database — the second exits with code 4
/// and writes nothing.
@Suite struct RunLockTests {
    @Test func aSecondRunExitsWithCode4WhileTheLockIsHeld() throws {
        let setup = try RunCrashTests.Setup()
        try setup.db.database.lockRuns(wait: false)
        let second = try setup.run()
        #expect(second.reason == .exit && second.status == 4)
        #expect(try setup.db.count("runs") == 0)
        #expect(try setup.db.count("events") == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: setup.base + "/inbox").sorted() == ["a.ndjson", "b.ndjson"])
    }
}

/// The `tally` executable built with the tests.
enum TallyBinary {
    static func url() throws -> URL {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("tally"),
            URL(fileURLWithPath: Repository.path(".build/debug/tally")),
        ]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw TestSetupError("the tally executable was not found (looked in \(candidates.map(\.path))): run `swift build --build-tests` first")
        }
        return found
    }
}
