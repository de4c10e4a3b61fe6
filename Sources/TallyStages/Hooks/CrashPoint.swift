import Foundation

/// Fault-injection points for the crash and signal tests, all of them: when `TALLY_CRASH_AT`
/// names a point, the process kills itself with SIGKILL on reaching it, as a power cut would; when
/// `TALLY_SIGNAL_AT` does, it sends itself SIGTERM there, as an operator would. A run killed at
/// any of them and started again must end where an uninterrupted run would; a run signalled at
/// any of them must stop at its next safe point, its open transaction rolled back.
enum CrashPoint: String, CaseIterable {
    /// The first record of an export is read.
    case ingestReading = "ingest-reading"
    /// An export's events are written, its transaction not yet committed.
    case ingestBeforeCommit = "ingest-before-commit"
    /// An export's transaction is committed, its rejects file not yet moved into place.
    case ingestAfterCommit = "ingest-after-commit"
    /// An inbox export is ingested, not yet moved to processed/ or failed/.
    case runBeforeMove = "run-before-move"
    /// Close is about to rate the periods it closes.
    case closeRating = "close-rating"
    /// Another run holds the run lock, and this one is about to wait for it (`--wait`).
    case lockWait = "lock-wait"
    /// A batch of invoices is committed, its files not yet written.
    case closeAfterBatch = "close-after-batch"
    /// One invoice file is written, the others of its batch not yet.
    case closeAfterFirstFile = "close-after-first-file"

    private static let crashAt = ProcessInfo.processInfo.environment["TALLY_CRASH_AT"]
    private static let signalAt = ProcessInfo.processInfo.environment["TALLY_SIGNAL_AT"]

    func reach() {
        if Self.crashAt == rawValue { kill(getpid(), SIGKILL) }
        if Self.signalAt == rawValue { kill(getpid(), SIGTERM) }
    }
}
