import Foundation
import Synchronization
import TallyCore

/// `<out>/invoices/<YYYY-MM>/<number>.json` (Lago's invoice object) and the period's
/// `summary.csv`. Files are replaced atomically and only when they differ. They are not fsynced:
/// the database is the record, and a file a crash loses or leaves stale is rewritten from it by
/// the next close.
public enum InvoiceFiles {
    /// Writes the files of `documents` that are missing or differ, on `workers` threads (rendering
    /// and creating thousands of files is CPU-bound: JSON, and file creation in the kernel), each
    /// taking every `workers`-th document; `afterEachFile` is called after each file written.
    /// Returns the paths it wrote, in the documents' order.
    public static func write(
        _ documents: [LagoInvoiceDocument], outDirectory: String, workers: Int,
        afterEachFile: @Sendable () -> Void = {}
    ) throws -> [String] {
        for period in Set(documents.map(\.period)) {
            let folder = directory(of: period, in: outDirectory)
            try OutputFolder.create(folder)
            try AtomicFile.removeLeftoverTemporaries(in: folder)
        }
        let workers = max(1, workers)
        let outcomes = Mutex<[(index: Int, result: Result<String?, any Error>)]>([])
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            for index in stride(from: worker, to: documents.count, by: workers) {
                let document = documents[index]
                let result = Result { () throws -> String? in
                    let path = (directory(of: document.period, in: outDirectory) as NSString)
                        .appendingPathComponent("\(document.number).json")
                    guard try AtomicFile.replace(path, with: document.json.prettyPrinted + "\n") else { return nil }
                    afterEachFile()
                    return path
                }
                outcomes.withLock { $0.append((index, result)) }
            }
        }
        var written: [String] = []
        for outcome in outcomes.withLock({ $0 }).sorted(by: { $0.index < $1.index }) {
            if let path = try outcome.result.get() { written.append(path) }
        }
        return written
    }

    /// Writes `<out>/invoices/<period>/summary.csv`, one row per invoice of the period (voided ones
    /// included, with their status); returns its path when it wrote it, nil when it was up to date
    /// or the period has no invoice.
    public static func writeSummary(period: String, rows: [InvoiceSummaryRow], outDirectory: String) throws -> String? {
        guard !rows.isEmpty else { return nil }
        var summary = "number,customer,currency,status,fees_amount_cents,prepaid_credit_amount_cents,total_amount_cents\n"
        for row in rows {
            let text = [row.number, row.customer, row.currency, row.status.rawValue].map(textField)
            let amounts = [row.feesAmountCents, row.prepaidCreditAmountCents, row.totalAmountCents].map { String($0) }
            summary += (text + amounts).map(csvField).joined(separator: ",") + "\n"
        }
        let folder = directory(of: period, in: outDirectory)
        try OutputFolder.create(folder)
        let path = (folder as NSString).appendingPathComponent("summary.csv")
        return try AtomicFile.replace(path, with: summary) ? path : nil
    }

    /// `<out>/invoices/<period>`.
    public static func directory(of period: String, in outDirectory: String) -> String {
        (outDirectory as NSString).appendingPathComponent("invoices/\(period)")
    }

    /// A text field a spreadsheet would run as a formula (`=…`, `+…`, `-…`, `@…`) starts with an
    /// apostrophe instead, which spreadsheets show as text.
    private static func textField(_ value: String) -> String {
        guard let first = value.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) else { return value }
        return "'" + value
    }

    private static func csvField(_ value: String) -> String {
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
