import ArgumentParser
import TallyKit

/// The options every command takes (SPEC §11).
struct GlobalOptions: ParsableArguments {
    @Option(help: ArgumentHelp("PostgreSQL URL; else $TALLY_DATABASE_URL, else $DATABASE_URL, else the embedded cluster.", valueName: "url"))
    var databaseURL: String?

    @Option(help: ArgumentHelp("Home of the embedded cluster; else $TALLY_HOME, else ./.tally.", valueName: "dir"))
    var home: String?

    @Option(help: ArgumentHelp("Output folder; else $TALLY_OUT, else ./out.", valueName: "dir"))
    var out: String?

    var configuration: TallyConfiguration { TallyConfiguration(databaseURL: databaseURL, home: home, out: out) }
}
