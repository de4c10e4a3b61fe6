import Foundation

/// Where Tally keeps its data and writes its outputs, resolved from flags, then the environment,
/// then defaults (SPEC §11).
public struct TallyConfiguration: Sendable {
    public enum Database: Sendable {
        /// An existing server, by libpq connection URL or keyword string.
        case server(String)
        /// The embedded cluster in the home directory, started on first use.
        case embedded(EmbeddedCluster)
    }

    public let database: Database
    public let outDirectory: String

    public init(databaseURL: String?, home: String?, out: String?, environment: [String: String] = ProcessInfo.processInfo.environment) {
        func nonEmpty(_ value: String?) -> String? { value.flatMap { $0.isEmpty ? nil : $0 } }
        if let url = nonEmpty(databaseURL) ?? nonEmpty(environment["TALLY_DATABASE_URL"]) ?? nonEmpty(environment["DATABASE_URL"]) {
            database = .server(url)
        } else {
            database = .embedded(EmbeddedCluster(home: nonEmpty(home) ?? nonEmpty(environment["TALLY_HOME"]) ?? ".tally"))
        }
        outDirectory = nonEmpty(out) ?? nonEmpty(environment["TALLY_OUT"]) ?? "out"
    }

    /// Connects to the database (starting the embedded cluster if needed) and applies any missing
    /// migrations.
    public func connect() throws -> PostgresConnection {
        let connection = try connectWithoutMigrating()
        try Schema.migrate(connection)
        return connection
    }

    /// Connects, starting the embedded cluster if needed, and leaves the schema as it is.
    public func connectWithoutMigrating() throws -> PostgresConnection {
        switch database {
        case .server(let url):
            return try PostgresConnection(connectionString: url)
        case .embedded(let cluster):
            try cluster.start()
            return try PostgresConnection(connectionString: cluster.connectionString)
        }
    }

    /// The embedded cluster, for `tally db start|stop`; an error when a server URL is configured.
    public func embeddedCluster() throws -> EmbeddedCluster {
        guard case .embedded(let cluster) = database else {
            throw ClusterError("a database URL is configured (--database-url, $TALLY_DATABASE_URL or $DATABASE_URL): that server is not Tally's to start or stop")
        }
        return cluster
    }
}

/// The lock that keeps two Tally runs from working on one database at once (SPEC §9).
public enum RunLock {
    static let key: Int64 = 0x7A11_0000

    /// Takes the lock for the life of the connection; with `wait` false, throws `RunLockHeld`
    /// at once when another run has it.
    public static func acquire(_ connection: PostgresConnection, wait: Bool) throws {
        if wait {
            try connection.execute("SELECT pg_advisory_lock($1)", [String(key)])
            return
        }
        guard try connection.execute("SELECT pg_try_advisory_lock($1)", [String(key)]).scalar == "t" else {
            let holder = try connection.execute("""
                SELECT a.pid, a.application_name, a.backend_start FROM pg_locks l JOIN pg_stat_activity a USING (pid)
                WHERE l.locktype = 'advisory' AND l.objid = $1::bigint AND l.granted LIMIT 1
                """, [String(key & 0xFFFF_FFFF)]).rows.first
            throw RunLockHeld(holder: holder.map { "server process \($0[0] ?? "?") (\($0[1] ?? "")), connected since \($0[2] ?? "?")" })
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
