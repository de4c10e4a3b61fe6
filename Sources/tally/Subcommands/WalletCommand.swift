import ArgumentParser
import TallyCore
import TallyStages

struct WalletCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wallet", abstract: "Top up a customer's wallet, or show its balance and transactions.",
        subcommands: [TopUp.self, Show.self])

    struct TopUp: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "top-up",
            abstract: "Add granted (free) credits to a customer's wallet, as Lago's wallet transaction with granted_credits does.",
            discussion: """
                The credits are usable at once, by the next invoice a close issues. Each run adds them again. \
                Paid (purchased) top-ups are not supported yet: they need a credit invoice. Exit 2 for an unknown \
                customer or wallet, or credits Tally does not take; nothing is written then.
                """)
        @OptionGroup var global: GlobalOptions
        @Option(help: ArgumentHelp("The customer's external_id.", valueName: "id")) var customer: String
        @Option(help: ArgumentHelp("The wallet's name.", valueName: "name")) var wallet: String
        @Option(parsing: .unconditional, help: ArgumentHelp("Granted credits to add: a decimal number > 0, e.g. 25 or 12.5.", valueName: "credits"))
        var granted: String
        @Flag(help: "Wait for another running tally instead of exiting with code 4.") var wait = false

        func validate() throws {
            do {
                _ = try WalletTopUp.credits(granted)
            } catch {
                throw ValidationError("--granted: \(error)")
            }
        }

        func run() throws {
            try Terminal.run {
                let database = try global.configuration.open()
                try database.lockRuns(wait: wait)
                let report: WalletTopUpReport
                do {
                    report = try WalletStage.topUp(customer: customer, wallet: wallet, granted: granted, database: database)
                } catch let error as WalletCommandError {
                    Terminal.error(error.description)
                    throw ExitCode(ExitStatus.usage)
                }
                let balance = report.balance
                Terminal.say("topped up wallet \"\(report.wallet)\" of \(report.customer): \(report.grantedCredits) granted credits; "
                    + "balance \(WalletShow.credits(balance.grantedCredits, balance.purchasedCredits)) = "
                    + Close.money(report.balanceCents, balance.currency))
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a customer's wallets: balances in credits and money, and every transaction in order (stdout).",
            discussion: """
                Balances are the sums of the transactions shown, granted and purchased credits apart; the money \
                balance is credits × rate_amount rounded half-up to the currency's minor unit, as close applies it. \
                Reads only. Exit 2 for an unknown customer.
                """)
        @OptionGroup var global: GlobalOptions
        @Option(help: ArgumentHelp("The customer's external_id.", valueName: "id")) var customer: String
        @Flag(help: "Print the wallets as JSON (Lago's field names) instead of text.") var json = false

        func run() throws {
            try Terminal.run {
                let database = try global.configuration.open()
                let statement: WalletStatement
                do {
                    statement = try WalletStage.show(customer: customer, database: database)
                } catch let error as WalletCommandError {
                    Terminal.error(error.description)
                    throw ExitCode(ExitStatus.usage)
                }
                if json {
                    Terminal.printJSON(statement.json)
                } else {
                    Terminal.output(WalletShow.text(statement))
                }
            }
        }
    }
}

/// `tally wallet show`'s text, for people: one block per wallet, then its transactions as a table.
enum WalletShow {
    static func text(_ statement: WalletStatement) -> String {
        guard !statement.wallets.isEmpty else {
            return "customer \(statement.externalCustomerId) has no wallet\n"
        }
        var lines = ["customer \(statement.externalCustomerId): \(statement.wallets.count) wallet(s)"]
        for wallet in statement.wallets {
            let history = wallet.history
            lines.append("")
            lines.append("wallet \"\(history.name)\"  \(history.currency)  rate_amount \(history.rateAmount)  priority \(history.priority)  created \(toTheSecond(history.createdAt))")
            lines.append("  balance \(credits(wallet.balance.grantedCredits, wallet.balance.purchasedCredits)) = "
                + Close.money(wallet.balanceCents, history.currency))
            guard !history.transactions.isEmpty else {
                lines.append("  no transactions")
                continue
            }
            let header = ["created_at", "type", "granted", "purchased", "invoice", "reason"]
            let rows = history.transactions.map { transaction in
                [toTheSecond(transaction.createdAt), transaction.transactionType.rawValue,
                 signed(transaction.grantedCredits, transaction.transactionType),
                 signed(transaction.purchasedCredits, transaction.transactionType),
                 transaction.invoiceNumber ?? "", transaction.reason]
            }
            lines += table([header] + rows, rightAligned: [2, 3]).map { "  " + $0 }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// "125 credits (25 granted, 100 purchased)".
    static func credits(_ granted: ExactDecimal, _ purchased: ExactDecimal) -> String {
        let total = granted.adding(purchased).map { "\($0) credits" } ?? "credits"
        return "\(total) (\(granted) granted, \(purchased) purchased)"
    }

    /// `2026-11-01T07:10:40Z`: the instant without its fraction of a second (the JSON keeps it).
    static func toTheSecond(_ instant: UTCInstant) -> String {
        let text = instant.description
        guard let dot = text.firstIndex(of: ".") else { return text }
        return text[..<dot] + "Z"
    }

    /// Credits moved, "+25" in, "-25" out; "0" when none moved.
    static func signed(_ credits: ExactDecimal, _ type: WalletHistory.Transaction.TransactionType) -> String {
        credits == .zero ? "0" : (type == .inbound ? "+" : "-") + credits.description
    }

    /// Rows as columns padded to their widest cell, two spaces apart; the last column is not padded.
    static func table(_ rows: [[String]], rightAligned: Set<Int>) -> [String] {
        let columns = rows.map(\.count).max() ?? 0
        let widths = (0..<columns).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, cell in
                guard column < columns - 1 else { return cell }
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                return rightAligned.contains(column) ? padding + cell : cell + padding
            }.joined(separator: "  ")
        }
    }
}
