import CLibPQ

/// Stops what the open connections are running, from a signal handler: a long statement (a
/// staged load of a large export, a close's batch) then ends at once with SQLSTATE 57014 and its
/// transaction rolls back, instead of running on after SIGTERM.
///
/// Each connection registers libpq's cancel handle here for its life. `cancelRunningStatements`
/// only reads the fixed table and calls `PQcancel`, which libpq documents as safe in a signal
/// handler.
public enum PostgresInterrupt {
    private static let capacity = 16

    /// The cancel handles of open connections; nil slots are free. Allocated once, before any
    /// signal handler may read it (`prepare`).
    nonisolated(unsafe) private static let handles: UnsafeMutablePointer<OpaquePointer?> = {
        let table = UnsafeMutablePointer<OpaquePointer?>.allocate(capacity: capacity)
        table.initialize(repeating: nil, count: capacity)
        return table
    }()

    /// Makes the table before a signal handler can need it.
    public static func prepare() { _ = handles }

    /// Registers a connection's cancel handle; returns its slot, nil when the table is full (the
    /// connection then simply cannot be cancelled from a signal).
    static func register(_ cancel: OpaquePointer) -> Int? {
        for slot in 0..<capacity where handles[slot] == nil {
            handles[slot] = cancel
            return slot
        }
        return nil
    }

    static func unregister(_ slot: Int) -> OpaquePointer? {
        defer { handles[slot] = nil }
        return handles[slot]
    }

    /// Asks the server to cancel the statement each open connection is running (none: nothing).
    public static func cancelRunningStatements() {
        var message: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &message) { buffer in
            guard let text = buffer.baseAddress?.assumingMemoryBound(to: CChar.self) else { return }
            for slot in 0..<capacity {
                if let cancel = handles[slot] { _ = PQcancel(cancel, text, Int32(buffer.count)) }
            }
        }
    }
}
