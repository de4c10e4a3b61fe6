import ArgumentParser
import Foundation
import TallyStages

@main
struct Tally: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Batch rating and invoicing for usage-based pricing.",
        discussion: """
            Exit codes: 0 success; 1 failure (the failing stage committed nothing); 2 bad usage or \
            configuration; 3 finished, but some events were rejected; 4 another run holds the lock.
            """,
        subcommands: [DB.self, CatalogCommand.self, SubscriptionCommand.self, WalletCommand.self, CreditNoteCommand.self, Ingest.self, Close.self, Reprocess.self, Usage.self, Run.self, Bench.self])

    /// ArgumentParser exits with 64 on bad usage; Tally's exit codes (README) say 2.
    static func main() {
        // Outputs (invoices with customers' names and emails, rejects, run reports) are closed to
        // other users: files 0640, folders 0750 at most.
        umask(0o027)
        Interruption.install()
        do {
            var command = try parseAsRoot(GlobalOptions.movedAfterCommand(Array(CommandLine.arguments.dropFirst())))
            try command.run()
        } catch {
            if exitCode(for: error) == .validationFailure {
                Terminal.error(fullMessage(for: error))
                Foundation.exit(ExitStatus.usage)
            }
            exit(withError: error)
        }
    }
}
