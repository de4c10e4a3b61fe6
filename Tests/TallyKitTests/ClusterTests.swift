import Foundation
import Testing
import TallyCore
import TallyKit

/// The embedded cluster and the libpq adapter: they report failures rather than hide them.
@Suite struct ClusterTests {
    @Test func theSharedClusterIsRunning() throws {
        let cluster = try TestServer.embeddedCluster.get()
        #expect(try cluster.status() == .running)
        #expect(cluster.home.path == TestServer.clusterHome)
        // Starting a running cluster is a no-op that says it did not start anything.
        #expect(try cluster.start() == false)
        let connection = try PostgresConnection(connectionString: cluster.connectionString)
        #expect(try connection.execute("SELECT current_database()").scalar == EmbeddedCluster.databaseName)
    }

    @Test func aClusterThatWasNeverCreatedSaysSo() throws {
        let cluster = EmbeddedCluster(home: "/tmp/tally-test-nonexistent-\(UInt64.random(in: 0...UInt64.max))")
        #expect(try cluster.status() == .notCreated)
        #expect(!FileManager.default.fileExists(atPath: cluster.home.path))
    }

    @Test func connectingToAMissingSocketDirectoryThrows() throws {
        let missing = "/tmp/tally-test-no-such-socket-\(UInt64.random(in: 0...UInt64.max))"
        let error = try #require(throws: PostgresError.self) {
            try PostgresConnection(connectionString: "host=\(missing) port=5432 dbname=tally user=tally password=s3cret-value connect_timeout=2")
        }
        #expect(error.isConnectionFailure)
        #expect(error.sqlState == "08001")
        #expect(error.description.contains(missing), "the error says where it tried: \(error)")
        #expect(!error.description.contains("s3cret-value"), "the password does not leak")
    }

    @Test func connectingToAMissingDatabaseThrows() throws {
        let base = try TestServer.adminConnectionString
        let error = try #require(throws: PostgresError.self) {
            try PostgresConnection(connectionString: TestServer.connectionString(base, database: "t_missing_\(UInt32.random(in: 0...UInt32.max))"))
        }
        #expect(error.isConnectionFailure)
    }

    @Test func aStatementErrorKeepsItsSQLState() throws {
        let db = try TestDatabase()
        let error = try #require(throws: PostgresError.self) {
            try db.connection.execute("SELECT 1 / $1::int", ["0"])
        }
        #expect(error.sqlState == "22012")
        #expect(!error.isConnectionFailure)
        // The connection is still usable afterwards.
        #expect(try db.scalar("SELECT 2 + 2") == "4")
    }

    @Test func aFailedTransactionIsRolledBack() throws {
        let db = try TestDatabase()
        try db.connection.execute("CREATE TABLE scratch (n int)")
        #expect(throws: PostgresError.self) {
            try db.connection.transaction {
                try db.connection.execute("INSERT INTO scratch VALUES (1)")
                try db.connection.execute("INSERT INTO scratch VALUES ('not a number')")
            }
        }
        #expect(try db.count("scratch") == 0)
    }

    @Test func migratingAMigratedDatabaseAppliesNothing() throws {
        let db = try TestDatabase()
        #expect(try Schema.version(db.connection) == Schema.latestVersion)
        #expect(try Schema.migrate(db.connection).isEmpty)
        #expect(try db.count("schema_migrations") == Schema.latestVersion)
    }
}
