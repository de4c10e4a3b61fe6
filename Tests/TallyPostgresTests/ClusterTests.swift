import Foundation
import Testing
import TallyPostgres
import TallyTestSupport

/// The embedded cluster and connecting: failures are reported, never hidden.
@Suite struct ClusterTests {
    @Test func theSharedClusterIsRunning() throws {
        let cluster = try TestServer.embeddedCluster.get()
        #expect(try cluster.status() == .running)
        #expect(cluster.home.path == TestServer.clusterHome)
        // Starting a running cluster is a no-op that says it did not start anything.
        #expect(try cluster.start() == false)
        let connection = try PostgresConnection(connectionString: cluster.connectionString)
        #expect(try connection.queryValue("SELECT current_database() AS name", column: "name", as: String.self) == EmbeddedCluster.databaseName)
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
        #expect(error.code == .sqlClientUnableToEstablishConnection)
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

    @Test func creatingADatabaseThatExistsIsNoErrorOnlyWhenAskedSo() throws {
        let scratch = try ScratchDatabase()
        let admin = try PostgresConnection(connectionString: try TestServer.adminConnectionString)
        try admin.createDatabase(scratch.name, ifMissing: true)
        let error = try #require(throws: PostgresError.self) { try admin.createDatabase(scratch.name) }
        #expect(error.code == .duplicateDatabase)
    }
}
