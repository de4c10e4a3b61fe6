import Foundation
import TallyStore

/// SIGINT and SIGTERM ask Tally to stop at the next safe point instead of dying mid-write.
///
/// The handler sets a flag and cancels the statement the database is running; the stages check
/// the flag between records (every thousand), customers, files and batches, and while waiting for
/// the run lock, and throw `Interrupted`, which rolls back the open transaction. Committed work
/// stays, so the next run carries on from there.
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
        Store.prepareInterrupts()
        var signals = sigset_t()
        sigemptyset(&signals)
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber) { received in
                Interruption.flag.pointee = received
                Store.interruptRunningStatements()
            }
            sigaddset(&signals, signalNumber)
        }
        // A parent may have started Tally with these signals blocked (they are inherited): take them.
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
    }

    /// Throws `Interrupted` when a stop was asked for.
    public static func check() throws {
        if let pending { throw pending }
    }

    /// The stop asked for, if one was: an error met after it (a statement it cancelled) is
    /// reported as this stop.
    public static var pending: Interrupted? {
        let received = flag.pointee
        return received != 0 ? Interrupted(signal: received) : nil
    }
}

/// A stop asked for by SIGINT or SIGTERM, reached at a safe point.
public struct Interrupted: Error, CustomStringConvertible {
    public let signal: Int32
    public var description: String {
        "stopped by \(signal == SIGINT ? "SIGINT" : "SIGTERM") at a safe point: the open transaction was rolled back, committed work is kept; run again to finish"
    }
}
