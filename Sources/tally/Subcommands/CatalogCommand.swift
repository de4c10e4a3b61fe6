import ArgumentParser
import TallyCore
import TallyStages

struct CatalogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalog", abstract: "Manage the catalog: metrics, plans, customers, subscriptions, wallets.",
        subcommands: [Apply.self])

    struct Apply: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply a catalog file (Lago's create-call shapes): atomic and idempotent; on any error nothing changes.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The catalog JSON file.") var file: String

        func run() throws {
            try Terminal.run {
                let database = try global.configuration.open()
                let report = try CatalogStage.apply(file: file, to: database, now: .now)
                for name in report.created { Terminal.say("created \(name)") }
                for name in report.updated { Terminal.say("updated \(name)") }
                Terminal.say(report.changedNothing
                    ? "catalog unchanged (\(report.unchanged) object(s) already as in \(file))"
                    : "catalog applied: \(report.created.count) created, \(report.updated.count) updated, \(report.unchanged) unchanged")
            }
        }
    }
}
