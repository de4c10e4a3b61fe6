import ArgumentParser
import TallyKit

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
                let cluster = try global.configuration.embeddedCluster()
                let started = try cluster.start()
                _ = try global.configuration.connect()
                Terminal.say(started
                    ? "started the embedded cluster in \(cluster.dataDirectory.path) (socket in \(cluster.socketDirectory.path))"
                    : "the embedded cluster in \(cluster.dataDirectory.path) is already running")
            }
        }
    }

    struct Stop: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop the embedded cluster.")
        @OptionGroup var global: GlobalOptions

        func run() throws {
            try Terminal.run {
                let cluster = try global.configuration.embeddedCluster()
                Terminal.say(try cluster.stop() ? "stopped the embedded cluster" : "the embedded cluster was not running")
            }
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Say whether the database is reachable and its schema version.")
        @OptionGroup var global: GlobalOptions

        func run() throws {
            try Terminal.run {
                let configuration = global.configuration
                switch configuration.database {
                case .embedded(let cluster):
                    let status = try cluster.status()
                    Terminal.say("embedded cluster in \(cluster.dataDirectory.path): \(status.rawValue)")
                    guard status == .running else { return }
                case .server:
                    break
                }
                let connection = try configuration.connectWithoutMigrating()
                Terminal.say("schema version \(try Schema.version(connection)) (this tally: \(Schema.latestVersion))")
            }
        }
    }

    struct Migrate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Apply the schema migrations the database lacks.")
        @OptionGroup var global: GlobalOptions

        func run() throws {
            try Terminal.run {
                let connection = try global.configuration.connectWithoutMigrating()
                let applied = try Schema.migrate(connection)
                Terminal.say(applied.isEmpty
                    ? "schema is up to date (version \(Schema.latestVersion))"
                    : "applied migration(s) \(applied.map(String.init).joined(separator: ", "))")
            }
        }
    }
}
