import Foundation
import TallyStore

/// Where Tally keeps its data and writes its outputs, resolved from flags, then the environment,
/// then defaults.
public struct TallyConfiguration: Sendable {
    let location: StoreLocation
    public let outDirectory: String

    public init(databaseURL: String?, home: String?, out: String?, environment: [String: String] = ProcessInfo.processInfo.environment) {
        func nonEmpty(_ value: String?) -> String? { value.flatMap { $0.isEmpty ? nil : $0 } }
        if let url = nonEmpty(databaseURL) ?? nonEmpty(environment["TALLY_DATABASE_URL"]) ?? nonEmpty(environment["DATABASE_URL"]) {
            location = .server(url)
        } else {
            location = .embedded(home: nonEmpty(home) ?? nonEmpty(environment["TALLY_HOME"]) ?? ".tally")
        }
        outDirectory = nonEmpty(out) ?? nonEmpty(environment["TALLY_OUT"]) ?? "out"
    }

    /// Connects to the database (starting the embedded cluster if needed) and applies any missing
    /// migrations.
    public func open() throws -> TallyDatabase {
        let database = try openWithoutMigrating()
        try database.migrate()
        return database
    }

    /// Connects, starting the embedded cluster if needed, and leaves the schema as it is.
    public func openWithoutMigrating() throws -> TallyDatabase {
        do {
            return TallyDatabase(store: try location.open(settings: Tuning.sessionSettings))
        } catch let error as Store.Unreachable {
            throw DatabaseUnreachable(reason: error.reason)
        }
    }

    /// The embedded cluster's home folder; nil when a server URL is configured.
    public var embeddedHome: String? {
        guard case .embedded(let home) = location else { return nil }
        return home
    }

    // MARK: `tally db`

    /// Creates (the first time) and starts the embedded cluster, and migrates its database.
    /// Returns whether it had to start the server, and where its data and socket are.
    public func startEmbeddedCluster() throws -> (started: Bool, dataDirectory: String, socketDirectory: String) {
        let started = try location.startCluster()
        _ = try open()
        let state = try location.clusterState()
        return (started, state?.dataDirectory ?? "", state?.socketDirectory ?? "")
    }

    /// Stops the embedded cluster; returns false when it was not running.
    public func stopEmbeddedCluster() throws -> Bool {
        try location.stopCluster()
    }

    /// The embedded cluster's state (`not created`, `stopped`, `running`) and data folder, or nil
    /// when a server URL is configured.
    public func embeddedClusterState() throws -> (state: String, running: Bool, dataDirectory: String)? {
        try location.clusterState().map { ($0.state, $0.isRunning, $0.dataDirectory) }
    }
}

/// The database could not be reached: a configuration problem more often than not.
public struct DatabaseUnreachable: Error, CustomStringConvertible {
    public let reason: String
    public var description: String {
        "\(reason)\ncheck --database-url / $TALLY_DATABASE_URL, or leave them unset to use the embedded cluster"
    }
}
