import Glibc
import TallyStore

/// Tally's database, opened for one command: what the stages work on.
public final class TallyDatabase {
    let store: Store

    init(store: Store) { self.store = store }

    /// Applies the schema migrations the database lacks; returns their versions.
    @discardableResult
    public func migrate() throws -> [Int] { try store.migrate() }

    /// The database's schema version (0: never migrated), and the one this build expects.
    public func schemaVersion() throws -> (database: Int, expected: Int) {
        (try store.schemaVersion(), Schema.latestVersion)
    }

    /// Takes the run lock for as long as this database is open, so that no other `tally` ingests,
    /// closes or reprocesses meanwhile. With `wait`, queues behind the run that holds it;
    /// otherwise throws `RunLockHeld` at once.
    public func lockRuns(wait: Bool) throws {
        var waiting = false
        while let holder = try store.runs.lock() {
            guard wait else { throw RunLockHeld(holder: holder.description) }
            if !waiting { CrashPoint.lockWait.reach() }
            waiting = true
            try Interruption.check()
            usleep(200_000)
        }
    }
}

/// Another Tally run holds the lock on this database.
public struct RunLockHeld: Error, CustomStringConvertible {
    public let holder: String?
    public var description: String {
        "another tally run is working on this database" + (holder.map { " (\($0))" } ?? "")
            + ": wait for it to finish, or pass --wait to queue behind it"
    }
}
