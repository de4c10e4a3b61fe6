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
        }
        return paths
    }
}
