import ArgumentParser
import TallyStages

/// The options every command takes (README, "Commands").
struct GlobalOptions: ParsableArguments {
    @Option(help: ArgumentHelp("PostgreSQL URL; else $TALLY_DATABASE_URL, else $DATABASE_URL, else the embedded cluster.", valueName: "url"))
    var databaseURL: String?

    @Option(help: ArgumentHelp("Home of the embedded cluster; else $TALLY_HOME, else ./.tally.", valueName: "dir"))
    var home: String?

    @Option(help: ArgumentHelp("Output folder; else $TALLY_OUT, else ./out.", valueName: "dir"))
    var out: String?

    var configuration: TallyConfiguration { TallyConfiguration(databaseURL: databaseURL, home: home, out: out) }
}

extension GlobalOptions {
    private static let names: Set<String> = ["--database-url", "--home", "--out"]

    /// `tally --home DIR ingest FILE` reads as `tally ingest FILE --home DIR`: the README puts the
    /// global options before the command, and ArgumentParser expects them on the subcommand.
    static func movedAfterCommand(_ arguments: [String]) -> [String] {
        var rest = arguments[...]
        var global: [String] = []
        while let first = rest.first {
            if names.contains(first), rest.count >= 2 {
                global += rest.prefix(2)
                rest = rest.dropFirst(2)
            } else if let name = first.split(separator: "=", maxSplits: 1).first, first.contains("="), names.contains(String(name)) {
                global.append(first)
                rest = rest.dropFirst()
            } else {
                break
            }
        }
        var result = Array(rest)
        result.insert(contentsOf: global, at: result.firstIndex(of: "--") ?? result.endIndex)
        return result
    }
}
