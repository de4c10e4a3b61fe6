import Foundation

/// SIGINT and SIGTERM ask Tally to stop at the next safe point instead of dying mid-write.
///
/// The handler only sets a flag; the stages check it between records, files and batches and
/// throw `Interrupted`, which rolls back the open transaction. Committed work stays, so the next
/// run carries on from there.
public enum Interruption {
    // Written only by the signal handler, read by the one thread doing the work.
    nonisolated(unsafe) private static let flag: UnsafeMutablePointer<sig_atomic_t> = {
        let pointer = UnsafeMutablePointer<sig_atomic_t>.allocate(capacity: 1)
        pointer.initialize(to: 0)
        return pointer
    }()

    /// Installs the handlers (the CLI does; library users and tests need not).
    public static func install() {
        _ = flag
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber) { received in Interruption.flag.pointee = received }
        }
    }

    /// Throws `Interrupted` when a stop was asked for.
    public static func check() throws {
        let received = flag.pointee
        if received != 0 { throw Interrupted(signal: received) }
    }
}

/// A stop asked for by SIGINT or SIGTERM, reached at a safe point.
public struct Interrupted: Error, CustomStringConvertible {
    public let signal: Int32
    public var description: String {
        "stopped by \(signal == SIGINT ? "SIGINT" : "SIGTERM") at a safe point: the open transaction was rolled back, committed work is kept; run again to finish"
    }
}
