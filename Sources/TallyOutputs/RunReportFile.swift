import Foundation
import TallyCore

/// `<out>/runs/run-<id>.json`: a nightly run's reconciliation, beside the invoices it issued.
public enum RunReportFile {
    /// Writes the report of run `runId`; returns its path.
    public static func write(_ report: JSONValue, runId: Int64, outDirectory: String) throws -> String {
        let folder = (outDirectory as NSString).appendingPathComponent("runs")
        try OutputFolder.create(folder)
        let path = (folder as NSString).appendingPathComponent("run-\(runId).json")
        try AtomicFile.replace(path, with: report.prettyPrinted + "\n")
        return path
    }
}
