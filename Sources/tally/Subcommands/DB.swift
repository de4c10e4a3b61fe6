import ArgumentParser
import TallyStages

struct DB: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Manage the database: the embedded cluster and the schema.",
        subcommands: [Start.self, Stop.self, Status.self, Migrate.self])

    struct Start: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create (first time) and start the embedded cluster, and migrate the schema.")
        @OptionGroup var global: GlobalOptions

        func run() throws {
            try Terminal.run {
                let cluster = try global.configuration.startEmbeddedCluster()
                Terminal.say(cluster.started
                    ? "started the embedded cluster in \(cluster.dataDirectory) (socket in \(cluster.socketDirectory))"
                    : "the embedded cluster in \(cluster.dataDirectory) is already running")
            }
        }
    }

    struct Stop: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop the embedded cluster.")
        @OptionGroup var global: GlobalOptions

        func run() throws {
            try Terminal.run {
                Terminal.say(try global.configuration.stopEmbeddedCluster() ? "stopped the embedded cluster" : "the embedded cluster was not running")
            }
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Say whether the database is reachable and its schema version.")
        @OptionGroup var global: GlobalOptions

        func run() throws {
            try Terminal.run {
                let configuration = global.configuration
                if let cluster = try configuration.embeddedClusterState() {
                    Terminal.say("embedded cluster in \(cluster.dataDirectory): \(cluster.state)")
                    guard cluster.running else { return }
                }
                let version = try configuration.openWithoutMigrating().schemaVersion()
                Terminal.say("schema version \(version.database) (this tally: \(version.expected))")
            }
        }
    }

    struct Migrate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Apply the schema migrations the database lacks.")
        @OptionGroup var global: GlobalOptions

        func run() throws {
            try Terminal.run {
                let database = try global.configuration.openWithoutMigrating()
                let applied = try database.migrate()
                Terminal.say(applied.isEmpty
                    ? "schema is up to date (version \(try database.schemaVersion().expected))"
                    : "applied migration(s) \(applied.map(String.init).joined(separator: ", "))")
            }
        }
    }
}
