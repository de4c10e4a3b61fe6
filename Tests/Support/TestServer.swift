import Foundation
import TallyPostgres

/// The PostgreSQL server the tests run against: `$TALLY_TEST_DATABASE_URL` when set, else an embedded
/// cluster in `/tmp/tally-test-cluster`, shared by the whole test process and started on first use.
///
/// There is no fallback and no skipping: a test that cannot reach its server fails.
public enum TestServer {
    public static let clusterHome = "/tmp/tally-test-cluster"

    /// The embedded cluster, started once. A `static let` is initialised exactly once, thread-safely,
    /// so tests running in parallel wait for the first one to start it.
    public static let embeddedCluster: Result<EmbeddedCluster, any Error> = {
        let cluster = EmbeddedCluster(home: clusterHome)
        do {
            try cluster.start()
            return .success(cluster)
        } catch {
            return .failure(error)
        }
    }()

    /// The connection string of a database the tests may create databases from.
    public static var adminConnectionString: String {
        get throws {
            if let url = ProcessInfo.processInfo.environment["TALLY_TEST_DATABASE_URL"], !url.isEmpty { return url }
            return try embeddedCluster.get().connectionString
        }
    }

    /// `base` pointed at the database `name`, whether `base` is a URL or a keyword/value string.
    public static func connectionString(_ base: String, database name: String) throws -> String {
        guard base.hasPrefix("postgres://") || base.hasPrefix("postgresql://") else {
            return base + " dbname=\(name)"  // a later keyword wins in libpq
        }
        guard var components = URLComponents(string: base) else {
            throw TestSetupError("TALLY_TEST_DATABASE_URL is not a valid URL")
        }
        components.path = "/" + name
        guard let url = components.string else { throw TestSetupError("cannot point TALLY_TEST_DATABASE_URL at \(name)") }
        return url
    }
}

/// A database of its own for one test, created empty and dropped when the value goes away (as a
/// courtesy; nothing relies on it).
public final class ScratchDatabase {
    public let name: String
    /// Its connection string.
    public let connectionString: String
    private let adminConnectionString: String

    public init() throws {
        adminConnectionString = try TestServer.adminConnectionString
        name = "t_" + (0..<8).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        try PostgresConnection(connectionString: adminConnectionString).createDatabase(name)
        connectionString = try TestServer.connectionString(adminConnectionString, database: name)
    }

    deinit {
        if let admin = try? PostgresConnection(connectionString: adminConnectionString) {
            _ = try? admin.dropDatabase(name)
        }
    }

    /// A new connection to it.
    public func connect() throws -> PostgresConnection {
        try PostgresConnection(connectionString: connectionString)
    }
}

public struct TestSetupError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
