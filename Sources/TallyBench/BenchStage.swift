import Foundation
import TallyCore
import TallyPostgres
import TallyStages

/// What `tally bench` measured. Seconds are wall-clock; memory is this process's peak.
public struct BenchReport: Sendable {
    /// How the metric `ai_tokens` was aggregated; the plain-SQL baseline always sums.
    public var aggregation = AggregationType.sumAgg
    public var events = 0
    public var subscriptions = 0
    public var csvIngestSeconds = 0.0
    public var ndjsonIngestSeconds = 0.0
    public var closeSeconds = 0.0
    public var invoices = 0
    public var plainCopySeconds = 0.0
    public var plainAggregateSeconds = 0.0
    public var peakMemoryKB = 0

    public var pipelineSeconds: Double { csvIngestSeconds + closeSeconds }
    public var plainSeconds: Double { plainCopySeconds + plainAggregateSeconds }

    public var lines: [String] {
        func rate(_ seconds: Double) -> String { "\(Int(Double(events) / max(seconds, 0.000_001)).formatted()) events/s" }
        func time(_ seconds: Double) -> String { String(format: "%.2f s", seconds) }
        let baseline = aggregation == .sumAgg ? "" : "; sums tokens, not \(aggregation.rawValue)"
        return [
            "aggregation: \(aggregation.rawValue); events: \(events.formatted()) per format, \(subscriptions.formatted()) subscriptions",
            "ingest CSV:    \(time(csvIngestSeconds))  \(rate(csvIngestSeconds))",
            "ingest NDJSON: \(time(ndjsonIngestSeconds))  \(rate(ndjsonIngestSeconds))",
            "close:         \(time(closeSeconds))  (\(invoices.formatted()) invoices)",
            "plain SQL:     \(time(plainSeconds))  (psql \\copy \(time(plainCopySeconds)) + GROUP BY \(time(plainAggregateSeconds))\(baseline))",
            "tally ingest CSV + close: \(time(pipelineSeconds)) = \(String(format: "%.2f", pipelineSeconds / max(plainSeconds, 0.000_001)))× the plain SQL way",
            "peak memory:   \(peakMemoryKB / 1024) MB",
        ]
    }

    public var json: JSONValue {
        func number(_ value: Double) -> JSONValue { .number(String(format: "%.3f", value)) }
        return .object(JSONObject([
            ("aggregation", .string(aggregation.rawValue)),
            ("events", .number(String(events))), ("subscriptions", .number(String(subscriptions))),
            ("csv_ingest_seconds", number(csvIngestSeconds)), ("ndjson_ingest_seconds", number(ndjsonIngestSeconds)),
            ("close_seconds", number(closeSeconds)), ("invoices", .number(String(invoices))),
            ("plain_sql_seconds", number(plainSeconds)), ("ratio_to_plain_sql", number(pipelineSeconds / max(plainSeconds, 0.000_001))),
            ("peak_memory_kb", .number(String(peakMemoryKB))),
        ]))
    }
}

/// `tally bench`: writes a synthetic export (CSV and NDJSON, different events), ingests both into a
/// fresh database on the embedded cluster, closes October 2026, and times the plain-SQL way a
/// finance team would otherwise take — `psql \copy` of the same CSV into a table keyed on
/// (external_subscription_id, transaction_id), then one GROUP BY — on the same cluster. The metric
/// is aggregated with the `aggregation` given to `run`; the plain-SQL GROUP BY always sums.
public struct BenchStage {
    let cluster: EmbeddedCluster
    let workDirectory: String
    let say: @Sendable (String) -> Void

    /// A benchmark on the embedded cluster in `home`, its files in `home/bench`.
    public init(home: String, say: @escaping @Sendable (String) -> Void) {
        self.cluster = EmbeddedCluster(home: home)
        self.workDirectory = cluster.home.appendingPathComponent("bench").path
        self.say = say
    }

    public func run(events: Int, subscriptions: Int, aggregation: AggregationType = .sumAgg) throws -> BenchReport {
        try cluster.start()
        try FileManager.default.createDirectory(atPath: workDirectory, withIntermediateDirectories: true)
        let csvPath = (workDirectory as NSString).appendingPathComponent("bench-events.csv")
        let ndjsonPath = (workDirectory as NSString).appendingPathComponent("bench-events.ndjson")
        let catalogPath = (workDirectory as NSString).appendingPathComponent("bench-catalog.json")
        defer { [csvPath, ndjsonPath, catalogPath].forEach { try? FileManager.default.removeItem(atPath: $0) } }

        say("writing \(events.formatted()) events as CSV and as NDJSON over \(subscriptions.formatted()) subscriptions…")
        let csv = SyntheticExport(events: events, subscriptions: subscriptions, seed: 1)
        try csv.write(to: csvPath)
        try SyntheticExport(events: events, subscriptions: subscriptions, seed: 2).write(to: ndjsonPath)
        try csv.catalogJSON(aggregation: aggregation).write(toFile: catalogPath, atomically: true, encoding: .utf8)

        let database = "tally_bench_\(getpid())"
        let admin = try PostgresConnection(connectionString: cluster.connectionString(database: "postgres"))
        try admin.createDatabase(database)
        defer { _ = try? admin.dropDatabase(database) }
        var report = BenchReport()
        report.aggregation = aggregation
        report.events = events
        report.subscriptions = subscriptions
        do {
            let connectionString = cluster.connectionString(database: database)
            let out = (workDirectory as NSString).appendingPathComponent("bench-out")
            defer { try? FileManager.default.removeItem(atPath: out) }
            let tally = try TallyConfiguration(databaseURL: connectionString, home: nil, out: out).open()
            _ = try CatalogStage.apply(file: catalogPath, to: tally, now: UTCInstant(microsecondsSinceEpoch: 1_790_812_800_000_000))
            let ingest = IngestStage(database: tally, outDirectory: out)

            say("ingesting the CSV…")
            report.csvIngestSeconds = try Self.seconds { try Self.expectAccepted(ingest.ingest([csvPath]), events) }
            say("ingesting the NDJSON…")
            report.ndjsonIngestSeconds = try Self.seconds { try Self.expectAccepted(ingest.ingest([ndjsonPath]), events) }
            say("closing October 2026…")
            let asOf = UTCInstant(microsecondsSinceEpoch: 1_793_923_200_000_000)  // 2026-11-06T00:00:00Z
            report.closeSeconds = try Self.seconds {
                report.invoices = try CloseStage(database: tally, outDirectory: out).close(.month(year: 2026, month: 10), now: asOf).issued.count
            }
            say("the plain SQL way: psql \\copy and GROUP BY…")
            try psql(connectionString, "CREATE TABLE plain_events (transaction_id text, external_subscription_id text, code text, timestamp bigint, tokens numeric, model text, type text, user_id text, UNIQUE (external_subscription_id, transaction_id))")
            report.plainCopySeconds = try Self.seconds {
                try psql(connectionString, "\\copy plain_events FROM '\(csvPath)' WITH (FORMAT csv, HEADER true)")
            }
            report.plainAggregateSeconds = try Self.seconds {
                try psql(connectionString, "SELECT external_subscription_id, model, type, sum(tokens), count(*) FROM plain_events GROUP BY 1, 2, 3")
            }
        }
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        report.peakMemoryKB = usage.ru_maxrss
        return report
    }

    private static func expectAccepted(_ summary: IngestSummary, _ events: Int) throws {
        let total = summary.total
        guard summary.failedFiles.isEmpty, total.accepted == events else {
            throw BenchError(description: "the benchmark export did not ingest cleanly: \(summary.json.serialized)")
        }
    }

    private static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = ContinuousClock.now
        try body()
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    /// Runs one psql command (its output discarded) against the bench database.
    private func psql(_ connectionString: String, _ command: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
        process.arguments = [connectionString, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", command]
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw BenchError(description: "psql failed: \(String(decoding: message, as: UTF8.self))")
        }
    }
}

public struct BenchError: Error, CustomStringConvertible {
    public let description: String
}
