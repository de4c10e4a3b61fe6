import TallyPostgres

/// Where Tally's database is: a PostgreSQL server given by URL, or the embedded cluster Tally runs
/// itself in a home folder (Debian's PostgreSQL, on a Unix socket, started on first use).
public enum StoreLocation: Sendable {
    /// A server, by libpq connection URL or keyword string.
    case server(String)
    /// The embedded cluster in this home folder.
    case embedded(home: String)

    /// Connects (starting the embedded cluster first if needed), with the session `settings`.
    public func open(settings: [(name: String, value: String)]) throws -> Store {
        switch self {
        case .server(let url):
            return try Store(connectionString: url, settings: settings)
        case .embedded(let home):
            let cluster = EmbeddedCluster(home: home)
            try cluster.start()
            return try Store(connectionString: cluster.connectionString, settings: settings)
        }
    }

    /// The embedded cluster's state, where its data and socket are: for `tally db`.
    public struct ClusterState: Sendable {
        /// `not created`, `stopped` or `running`.
        public let state: String
        public let isRunning: Bool
        public let dataDirectory: String
        public let socketDirectory: String
    }

    /// Creates (the first time) and starts the embedded cluster; returns whether it had to start
    /// the server. An error for a server URL: that server is not Tally's to start.
    public func startCluster() throws -> Bool {
        try cluster().start()
    }

    /// Stops the embedded cluster (open transactions are rolled back); false when it was not running.
    public func stopCluster() throws -> Bool {
        try cluster().stop()
    }

    /// The embedded cluster's state, or nil for a server URL.
    public func clusterState() throws -> ClusterState? {
        guard case .embedded(let home) = self else { return nil }
        let cluster = EmbeddedCluster(home: home)
        let status = try cluster.status()
        return ClusterState(state: status.rawValue, isRunning: status == .running, dataDirectory: cluster.dataDirectory.path,
                            socketDirectory: cluster.socketDirectory.path)
    }

    private func cluster() throws -> EmbeddedCluster {
        guard case .embedded(let home) = self else {
            throw ClusterError("a database URL is configured (--database-url, $TALLY_DATABASE_URL or $DATABASE_URL): that server is not Tally's to start or stop")
        }
        return EmbeddedCluster(home: home)
    }
}
