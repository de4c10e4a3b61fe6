import ArgumentParser
import Foundation
import TallyBench
import TallyCore
import TallyStages

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmark: ingest and close a synthetic export, and compare with plain psql \\copy + GROUP BY.",
        discussion: """
            Writes N synthetic events as CSV and N others as NDJSON, ingests both into a fresh database on the \
            embedded cluster (created in --home and dropped afterwards), closes October 2026, times the plain-SQL \
            way on the same CSV, and prints events per second, the close time, the ratio and peak memory. \
            --aggregation sets the aggregation_type of the catalog's metric ai_tokens (count_agg counts events, \
            unique_count_agg counts each event's user_id, the others aggregate its tokens); the charge stays the \
            same package charge, and the plain-SQL baseline always sums tokens. \
            Build with `swift build -c release` first: a debug build is several times slower.
            """)
    @OptionGroup var global: GlobalOptions
    @Option(help: "Events per format.") var events = 2_000_000
    @Option(help: "Subscriptions (one customer each).") var subscriptions = 10_000
    @Option(help: ArgumentHelp("The aggregation_type of the metric ai_tokens.", valueName: "type"))
    var aggregation = AggregationType.sumAgg
    @Flag(help: "Print the figures as JSON on stdout.") var json = false

    func validate() throws {
        guard events > 0, subscriptions > 0 else { throw ValidationError("--events and --subscriptions must be positive") }
    }

    func run() throws {
        try Terminal.run {
            let configuration = global.configuration
            guard let home = configuration.embeddedHome else {
                throw ValidationError("tally bench runs on the embedded cluster: leave --database-url, $TALLY_DATABASE_URL and $DATABASE_URL unset")
            }
            let stage = BenchStage(home: home) { Terminal.say($0) }
            let report = try stage.run(events: events, subscriptions: subscriptions, aggregation: aggregation)
            report.lines.forEach { Terminal.say($0) }
            if json { Terminal.printJSON(report.json) }
        }
    }
}

extension AggregationType: ExpressibleByArgument {}
