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

    /// No other local account gets in: the socket folder is the cluster owner's alone, and the
    /// server takes only peer-authenticated local connections of the mapped accounts.
    @Test func anotherLocalAccountCannotConnect() throws {
        let cluster = try TestServer.embeddedCluster.get()
        let folder = try FileManager.default.attributesOfItem(atPath: cluster.socketDirectory.path)
        #expect((folder[.posixPermissions] as? Int).map { $0 & 0o077 } == 0, "the socket folder is closed to others")
        let log = try FileManager.default.attributesOfItem(atPath: cluster.logFile.path)
        #expect((log[.posixPermissions] as? Int).map { $0 & 0o077 } == 0, "the server log is closed to others")
        // The access rules, read through the server (its files belong to the postgres user).
        let connection = try PostgresConnection(connectionString: cluster.connectionString)
        struct Rule: Decodable { let type: String; let authMethod: String }
        let rules = try connection.query("SELECT type, auth_method FROM pg_hba_file_rules", as: Rule.self)
        #expect(!rules.isEmpty && rules.allSatisfy { $0.type == "local" && $0.authMethod == "peer" }, "\(rules)")
        guard geteuid() == 0 else { return }
        // As another account (nobody), psql is refused.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
        process.arguments = ["-u", "nobody", "--", "/usr/bin/psql", cluster.connectionString, "-X", "-c", "SELECT 1"]
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus != 0, "nobody connected: \(message)")
        #expect(message.contains("Permission denied") || message.contains("authentication failed"), "\(message)")
    }

    @Test func aHomeWithSpacesAndQuotesWorks() throws {
        let home = "/tmp/tally test 'home' \\ \(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: home) }
        let cluster = EmbeddedCluster(home: home)
        defer { _ = try? cluster.stop() }
        #expect(try cluster.start())
        let connection = try PostgresConnection(connectionString: cluster.connectionString)
        #expect(try connection.queryValue("SELECT 1 AS one", column: "one", as: Int.self) == 1)
    }
}
