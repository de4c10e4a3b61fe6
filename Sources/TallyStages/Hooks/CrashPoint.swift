import Foundation

/// Fault-injection points for the crash tests, all of them: when `TALLY_CRASH_AT` names a point,
/// the process kills itself with SIGKILL on reaching it, as a power cut would. A run killed at any
/// of them and started again must end where an uninterrupted run would.
enum CrashPoint: String, CaseIterable {
    /// An export's events are written, its transaction not yet committed.
    case ingestBeforeCommit = "ingest-before-commit"
    /// An export's transaction is committed, its rejects file not yet moved into place.
    case ingestAfterCommit = "ingest-after-commit"
    /// An inbox export is ingested, not yet moved to processed/ or failed/.
    case runBeforeMove = "run-before-move"
    /// A batch of invoices is committed, its files not yet written.
    case closeAfterBatch = "close-after-batch"
    /// One invoice file is written, the others of its batch not yet.
    case closeAfterFirstFile = "close-after-first-file"

    private static let target = ProcessInfo.processInfo.environment["TALLY_CRASH_AT"]

    func reach() {
        if let target = Self.target, target == rawValue { kill(getpid(), SIGKILL) }
    }
}
