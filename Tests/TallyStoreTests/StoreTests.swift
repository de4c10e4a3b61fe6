import Foundation
import Testing
import TallyCore
import TallyPostgres
@testable import TallyStore
import TallyTestSupport

/// The store itself: connecting, transactions and savepoints, which errors are refused
/// statements, and where the database is (`StoreLocation`).
@Suite struct StoreTests {
    @Test func aServerThatCannotBeReachedIsUnreachableWithoutItsPasswordInTheMessage() throws {
        let error = try #require(throws: Store.Unreachable.self) {
            try Store(connectionString: "postgresql://tally:s3cret-pw@/tally?host=/nonexistent-tally-socket-directory")
        }
        #expect(!error.reason.isEmpty)
        #expect(!error.description.contains("s3cret-pw"), "\(error)")
        #expect(!Store.isRefusedStatement(error))
    }

    @Test func aTransactionIsRolledBackWhenItsBodyThrowsAndASavepointAloneWhenItsBodyDoes() throws {
        struct Stop: Error {}
        let db = try TestStore()
        let catalog = db.store.catalog
        #expect(throws: Stop.self) {
            try db.store.transaction {
                _ = try catalog.save(Customer(externalId: "rolled-back"))
                throw Stop()
            }
        }
        try db.store.transaction {
            _ = try catalog.save(Customer(externalId: "kept"))
            #expect(throws: Stop.self) {
                try db.store.savepoint {
                    _ = try catalog.save(Customer(externalId: "undone"))
                    throw Stop()
                }
            }
            _ = try catalog.save(Customer(externalId: "after"))
        }
        #expect(try db.rows("SELECT external_id FROM customers ORDER BY id").map { $0[0] } == ["kept", "after"])
        #expect(try db.store.transaction { 42 } == 42)
    }

    @Test func refusedStatementsAreTheServersRefusalsNotLostConnections() throws {
        let db = try TestStore()
        _ = try db.store.catalog.save(Customer(externalId: "acme"))
        let customerId = try #require(try db.scalar("SELECT id FROM customers").flatMap { Int64($0) })
        let wallet = Wallet(externalCustomerId: "acme", name: "Prepaid", currency: "USD", rateAmount: ExactDecimal(1))
        _ = try db.store.catalog.create(wallet, customerId: customerId)
        let refused = #expect(throws: (any Error).self) { try db.store.catalog.create(wallet, customerId: customerId) }
        #expect(refused.map(Store.isRefusedStatement) == true, "a unique violation: \(String(describing: refused))")
        #expect(Store.isRefusedStatement(PostgresDecodingError(query: "SELECT", column: "id", message: "not a number")))
        #expect(!Store.isRefusedStatement(PostgresError(operation: "running", message: "server closed the connection",
                                                        code: .connectionException)))
        #expect(!Store.isRefusedStatement(CocoaError(.fileNoSuchFile)))
    }

    @Test func aServerLocationOpensAStoreWithTheSessionSettingsAndHasNoClusterToRun() throws {
        let scratch = try ScratchDatabase()
        let location = StoreLocation.server(scratch.connectionString)
        let store = try location.open(settings: [("application_name", "tally-store-tests")])
        #expect(try store.connection.queryValue("SELECT current_setting('application_name') AS v", column: "v", as: String.self)
                == "tally-store-tests")
        #expect(try store.connection.queryValue("SELECT current_setting('TimeZone') AS v", column: "v", as: String.self) == "UTC")
        #expect(try store.schemaVersion() == 0, "opening does not migrate")

        #expect(try location.clusterState() == nil)
        let start = #expect(throws: ClusterError.self) { try location.startCluster() }
        #expect(start?.description.contains("not Tally's to start") == true)
        #expect(throws: ClusterError.self) { try location.stopCluster() }
    }

    @Test func anEmbeddedLocationReportsAClusterNotYetCreated() throws {
        let home = "/tmp/tally-store-tests-\(UUID().uuidString)"
        let state = try #require(try StoreLocation.embedded(home: home).clusterState())
        #expect(state.state == "not created")
        #expect(!state.isRunning)
        #expect(state.dataDirectory == home + "/pgdata")
        #expect(state.socketDirectory == home + "/run")
        #expect(!FileManager.default.fileExists(atPath: home), "asking creates nothing")
    }
}
