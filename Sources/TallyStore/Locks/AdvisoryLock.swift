import TallyCore
import TallyPostgres

/// PostgreSQL advisory locks Tally takes, and their keys, all in one place.
///
/// - `run`: held for the life of a connection by `tally ingest`, `close`, `reprocess`, `run`, `subscription`
///   and `wallet top-up`, so that no two of them work on one database at once.
/// - `migration`: held by the transaction that migrates the schema.
/// - `catalog`: held by the transaction that applies a catalog (customer sequence numbers, wallet grants),
///   terminates a subscription, changes its plan or tops up a wallet.
public enum AdvisoryLock: Int64, Sendable {
    case run = 0x7A11_0000
    case migration = 0x7A11_0001
    case catalog = 0x7A11_0002

    /// Who holds a lock: the server process and since when, for "another run is working" messages.
    public struct Holder: Decodable, Sendable, CustomStringConvertible {
        public let pid: Int
        public let applicationName: String?
        public let backendStart: UTCInstant?

        public var description: String {
            "server process \(pid) (\(applicationName ?? "")), connected since \(backendStart.map { "\($0)" } ?? "?")"
        }
    }

    /// Takes the lock for the connection's life if it is free: true when taken.
    public func tryHoldForSession(_ connection: PostgresConnection) throws -> Bool {
        try connection.queryValue("SELECT pg_try_advisory_lock($1) AS taken", [rawValue], column: "taken")
    }

    /// Waits for the lock and holds it until the open transaction ends.
    public func holdForTransaction(_ connection: PostgresConnection) throws {
        try connection.execute("SELECT pg_advisory_xact_lock($1)", [rawValue])
    }

    /// The server process holding the lock, if one does.
    public func holder(_ connection: PostgresConnection) throws -> Holder? {
        // A bigint key is stored as two 32-bit halves; Tally's keys fit the low one.
        try connection.queryFirst("""
            SELECT a.pid, a.application_name, a.backend_start
            FROM pg_locks l JOIN pg_stat_activity a USING (pid)
            WHERE l.locktype = 'advisory' AND l.objid = $1::bigint AND l.granted
              AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
            LIMIT 1
            """, [rawValue & 0xFFFF_FFFF])
    }
}
