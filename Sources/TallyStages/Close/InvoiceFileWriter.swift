import Foundation
import TallyCore
import TallyOutputs
import TallyStore

/// Writes invoices' files from what the store holds: each invoice's Lago document and each
/// period's summary, so a file lost or left stale by a crash after the commit is rewritten by the
/// next close or reprocess.
struct InvoiceFileWriter {
    let store: Store
    let catalog: StoredCatalog
    let outDirectory: String

    /// Writes the files of `invoices` that are missing or differ; returns the paths it wrote.
    /// Needs no connection: it may run on another thread while the store is busy.
    static func write(_ invoices: [InvoiceRecord], catalog: StoredCatalog, outDirectory: String) throws -> [String] {
        let documents = try invoices.map { try LagoInvoiceDocument($0, catalog: catalog) }
        return try InvoiceFiles.write(documents, outDirectory: outDirectory, workers: Tuning.invoiceFileWriters) {
            CrashPoint.closeAfterFirstFile.reach()
        }
    }

    /// Writes the files of every invoice of `periods` but those numbered in `written` (whose files
    /// this run already wrote), and each period's summary; returns the paths it (re)wrote.
    func write(periods: [String], except written: Set<String> = []) throws -> [String] {
        var paths: [String] = []
        for period in periods {
            try Interruption.check()
            let invoices = try store.invoices.records(period: period, excluding: written.sorted())
            paths += try Self.write(invoices, catalog: catalog, outDirectory: outDirectory)
            if let summary = try InvoiceFiles.writeSummary(period: period, rows: try store.invoices.summary(period: period),
                                                           outDirectory: outDirectory) {
                paths.append(summary)
            }
            if let transactions = try writeWalletTransactions(period: period) { paths.append(transactions) }
        }
        return paths
    }

    /// Writes `<out>/wallets/<period>/wallet_transactions.json`: the wallet transactions of the
    /// period's invoices, for finance to reconcile the wallets with (docs/BILLING.md, wallets).
    /// Returns its path when it wrote it; nil when up to date or the period's invoices took no credits.
    func writeWalletTransactions(period: String) throws -> String? {
        let transactions = try store.wallets.transactions(period: period)
        guard !transactions.isEmpty else { return nil }
        let entries: [JSONValue] = transactions.map { transaction in
            let scale = Currency.minorUnitScale(currency: transaction.currency) ?? 2
            let credits = transaction.grantedCredits.adding(transaction.purchasedCredits) ?? .zero
            let cents = WalletLedger.cents(credits, rateAmount: transaction.rateAmount, scale: scale)
            return .object(JSONObject([
                ("id", .number(String(transaction.id))), ("external_customer_id", .string(transaction.customer)),
                ("wallet_name", .string(transaction.wallet)), ("currency", .string(transaction.currency)),
                ("transaction_type", .string(transaction.direction)),
                ("granted_credits", .string(transaction.grantedCredits.description)),
                ("purchased_credits", .string(transaction.purchasedCredits.description)),
                ("credit_amount", .string(credits.description)), ("amount_cents", cents.map { .number(String($0)) } ?? .null),
                ("invoice_number", .string(transaction.invoiceNumber)), ("reason", .string(transaction.reason)),
                ("created_at", .string(transaction.createdAt.wholeSecondsDescription)),
            ]))
        }
        let folder = (outDirectory as NSString).appendingPathComponent("wallets/\(period)")
        try OutputFolder.create(folder)
        let path = (folder as NSString).appendingPathComponent("wallet_transactions.json")
        let document = JSONValue.object(JSONObject([("period", .string(period)), ("wallet_transactions", .array(entries))]))
        return try AtomicFile.replace(path, with: document.prettyPrinted + "\n") ? path : nil
    }
}
